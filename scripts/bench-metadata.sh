#!/usr/bin/env bash
# File-system metadata per rank of a checkpoint commit and of a restart, as P grows: every rank
# runs under `strace -f`, and the script counts each rank's file-system calls that touch the
# output directory (open, stat, unlink, rename, mkdir, directory listings), for P = 4, 16, 64
# oversubscribed ranks on tiny blocks, with one data file per rank (checkpoint.ranks_per_file = 1,
# the most files) and with the default (one per node). MPI's own files (shared memory) are not
# counted: they are the library's, not simrun's.
#   ./scripts/bench-metadata.sh [P...]          (default: 4 16 64)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
command -v strace >/dev/null || { apt-get install -y -qq strace >/dev/null; }
cargo build --release --quiet
S=$PWD/target/release/simrun
ps=("$@")
[ ${#ps[@]} -gt 0 ] || ps=(4 16 64)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
calls=openat,open,stat,statx,newfstatat,lstat,access,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,getdents64,rmdir
cat >"$tmp/c.toml" <<TOML
model = "heat"
[grid]
nx = 256
ny = 256
[time]
steps = 4
[output]
images = false
progress = "off"
diagnostics_every = 0
[checkpoint]
every_steps = 2
keep = 2
[parallel]
threads = 1
TOML
traced() { # label P out extra...
    local label=$1 p=$2 out=$3
    shift 3
    mkdir -p "$tmp/trace/$label"
    mpirun -n "$p" --oversubscribe --bind-to none -x OMPI_MCA_mpi_yield_when_idle=1 sh -c \
        "exec strace -f -qq -e trace=$calls -o $tmp/trace/$label/rank_\$OMPI_COMM_WORLD_RANK.txt $S $tmp/c.toml --set output.dir=\\\"$out\\\" $*" \
        >/dev/null 2>"$tmp/$label.err" || { echo "run failed: $(tail -3 "$tmp/$label.err")" >&2; exit 1; }
}
count() { # label out -> "rank0 max-other"
    local label=$1 out=$2 r0 rest
    r0=$(grep -c "$out" "$tmp/trace/$label/rank_0.txt" || true)
    rest=$(for f in "$tmp/trace/$label"/rank_*.txt; do [ "$f" = "$tmp/trace/$label/rank_0.txt" ] || grep -c "$out" "$f" || true; done | sort -n | tail -1)
    echo "$r0 ${rest:-0}"
}
printf "| P | files per checkpoint | run with 2 commits: rank 0 / max other rank | restart: rank 0 / max other rank |\n|---|---|---|---|\n"
for rpf in 1 0; do
    for p in "${ps[@]}"; do
        out=$tmp/out_${rpf}_$p
        traced "run_${rpf}_$p" "$p" "$out" --set checkpoint.ranks_per_file=$rpf
        read -r a b <<<"$(count "run_${rpf}_$p" "$out")"
        traced "restart_${rpf}_$p" "$p" "$out" --set checkpoint.ranks_per_file=$rpf --restart latest
        read -r c d <<<"$(count "restart_${rpf}_$p" "$out")"
        files=$(ls "$out/checkpoints/ckpt_0000000004" | grep -c '^rank_')
        printf "| %s | %s | %s / %s | %s / %s |\n" "$p" "$files" "$a" "$b" "$c" "$d"
    done
done
