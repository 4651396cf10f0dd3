#!/usr/bin/env bash
# Heat 2-D 4096^2: one process with 2 threads vs mpirun -n 2 (1 thread per rank, --bind-to none),
# interleaved in one run; medians, their ratio and the halo share of the step time.
#   ./scripts/bench-mpi.sh [REPEATS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
REPEATS=${1:-5}
STEPS=${2:-200}
cargo build --release --quiet
tmp=$(mktemp -d)
for rep in $(seq "$REPEATS"); do
    target/release/simrun configs/bench-heat4096.toml --set time.steps="$STEPS" --set parallel.threads=2 \
        --set output.dir=\""$tmp/out"\" --report "$tmp/threads_$rep.json" 2>/dev/null
    mpirun -n 2 --oversubscribe --bind-to none target/release/simrun configs/bench-heat4096.toml \
        --set time.steps="$STEPS" --set parallel.threads=1 --set output.dir=\""$tmp/out"\" \
        --report "$tmp/ranks_$rep.json" 2>/dev/null
done
python3 scripts/bench_stats.py "1 process x 2 threads=$tmp/threads_*.json" "2 ranks x 1 thread=$tmp/ranks_*.json"
python3 - "$tmp" <<'PY'
import glob, json, statistics, sys
d = sys.argv[1]
m = lambda p: statistics.median(json.load(open(f))["cell_updates_per_second"] for f in glob.glob(f"{d}/{p}_*.json"))
print(f"ratio ranks/threads = {m('ranks') / m('threads'):.3f} (target >= 0.95)")
PY
rm -rf "$tmp"
