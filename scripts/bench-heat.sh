#!/usr/bin/env bash
# Heat kernel throughput at 4096^2 on 1 and 2 threads next to the STREAM-style copy bandwidth
# measured in the same run (16 bytes per update), for 1, 2, 4 and 8 steps per sweep (temporal
# blocking; the engine's default is 4), then the whole engine (simrun, same problem) with its
# default sweep and with one step per sweep (parallel.time_block=1); then the 3-D sweep at N3^3.
#   N3=256 ./scripts/bench-heat.sh [N] [REPEATS]
#   ./scripts/bench-heat.sh [N] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
N=${1:-4096}
REPEATS=${2:-21}
cargo build --release --quiet --example bench_heat
cargo build --release --quiet
echo "== kernel vs copy bandwidth (medians of $REPEATS) =="
target/release/examples/bench_heat "$N" "$REPEATS" 1,2
echo
echo "== whole engine: simrun configs/bench-heat4096.toml (200 steps, medians of 3, interleaved) =="
tmp=$(mktemp -d)
for rep in 1 2 3; do
    for t in 1 2; do
        for tb in 0 1; do
            target/release/simrun configs/bench-heat4096.toml --set grid.nx="$N" --set grid.ny="$N" \
                --set parallel.threads=$t --set parallel.time_block=$tb --set output.dir=\""$tmp/out"\" \
                --report "$tmp/t${t}_tb${tb}_$rep.json" 2>/dev/null
        done
    done
done
python3 scripts/bench_stats.py "simrun 1 thread=$tmp/t1_tb0_*.json" "simrun 1 thread, 1 step/sweep=$tmp/t1_tb1_*.json" \
    "simrun 2 threads=$tmp/t2_tb0_*.json" "simrun 2 threads, 1 step/sweep=$tmp/t2_tb1_*.json"
rm -rf "$tmp"
N3=${N3:-256}
echo
echo "== 3-D kernel vs copy bandwidth, ${N3}^3 (medians of $REPEATS) =="
target/release/examples/bench_heat "$N3" "$REPEATS" 1,2 1,2,3,4 3
