#!/usr/bin/env bash
# Cost per pressure V-cycle over 128^2 .. 1024^2 (navier_stokes multigrid).
# Usage: scripts/bench-multigrid.sh [THREADS] [OUT.csv] [RANKS]
# Prints the CSV of examples/bench_multigrid.rs and the cost per cell relative to 128^2: a
# multigrid V-cycle is O(N), so ns/cell should stay flat (cache effects aside). With RANKS > 1 the
# grids are split over that many MPI ranks (mpirun, oversubscribed ranks yield while they wait).
# Before/after comparisons: scripts/bench-multigrid-ab.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-1}"
out="${2:-bench-multigrid.csv}"
ranks="${3:-1}"
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --example bench_multigrid >&2
launch=()
if [ "$ranks" -gt 1 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
    launch=(mpirun --oversubscribe --bind-to none -n "$ranks")
fi
"${launch[@]}" ./target/release/examples/bench_multigrid "$threads" 128 256 512 1024 | tee "$out"
awk -F, 'NR == 2 { base = $5 } NR > 1 { printf "%5d^2: %8.3f ms per V-cycle, %6.2f ns/cell (x%.2f of 128^2 per cell)\n", $1, $4 * 1e3, $5, $5 / base }' "$out"
