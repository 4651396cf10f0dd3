#!/usr/bin/env bash
# Peak memory (VmHWM, "maximum resident set size") of every rank of a run that writes final.h5 and
# images, on 4 ranks: heat 2-D 2048^2 and navier_stokes 512^2. Rank 0 must not need much more than
# the others (no global gather of the fields, images from per-rank samples).
#   ./scripts/bench-memory.sh [RANKS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
cargo build --release --quiet
S=$PWD/target/release/simrun
P=${1:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
peak() { # name config extra...
    local name=$1 cfg=$2
    shift 2
    mkdir -p "$tmp/$name"
    mpirun -n "$P" --oversubscribe --bind-to none -x OMPI_MCA_mpi_yield_when_idle=1 sh -c \
        "exec /usr/bin/time -f %M -o $tmp/$name/rss_\$OMPI_COMM_WORLD_RANK $S $cfg --set output.dir=\\\"$tmp/$name/out\\\" --set output.progress=\\\"off\\\" --set output.images=true $*" \
        >/dev/null 2>"$tmp/$name/err" || { echo "$name failed: $(tail -3 "$tmp/$name/err")" >&2; exit 1; }
    python3 - "$name" "$tmp/$name" "$P" <<'PY'
import sys
name, d, p = sys.argv[1], sys.argv[2], int(sys.argv[3])
kb = [int(open(f"{d}/rss_{r}").read().split()[-1]) for r in range(p)]
others = kb[1:]
print(f"| {name} | {kb[0] / 1024:.1f} | {min(others) / 1024:.1f} - {max(others) / 1024:.1f} | {kb[0] / min(others):.2f} |")
PY
}
echo "| run ($P ranks, final.h5 + final.png) | rank 0 peak MiB | other ranks peak MiB | rank 0 / smallest other |"
echo "|---|---|---|---|"
peak heat2048 configs/heat2d.toml --set grid.nx=2048 --set grid.ny=2048 --set time.end_time=0.00001 --set parallel.threads=1
peak ns512 configs/cavity-re100.toml --set grid.nx=512 --set grid.ny=512 --set time.end_time=0.002 --set parallel.threads=1
