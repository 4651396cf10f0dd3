#!/usr/bin/env bash
# Heat kernel throughput at 4096^2 on 1 and 2 threads next to the STREAM-style copy bandwidth
# measured in the same run (16 bytes per update), then the whole engine (simrun, same problem).
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
echo "== whole engine: simrun configs/bench-heat4096.toml (200 steps, medians of 3) =="
tmp=$(mktemp -d)
for rep in 1 2 3; do
    for t in 1 2; do
        target/release/simrun configs/bench-heat4096.toml --set grid.nx="$N" --set grid.ny="$N" \
            --set parallel.threads=$t --set output.dir=\""$tmp/out"\" --report "$tmp/t${t}_$rep.json" 2>/dev/null
    done
done
python3 scripts/bench_stats.py "simrun 1 thread=$tmp/t1_*.json" "simrun 2 threads=$tmp/t2_*.json"
rm -rf "$tmp"
