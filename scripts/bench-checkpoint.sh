#!/usr/bin/env bash
# Heat 2-D 4096^2, 500 steps, a checkpoint every 50 steps (10 x 128 MiB): asynchronous
# checkpoints vs none vs the same writes waited for on the compute thread, interleaved in one run,
# on 1 and 2 compute threads. Medians of the time-loop seconds; async overhead against no I/O.
#   ./scripts/bench-checkpoint.sh [REPEATS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
REPEATS=${1:-3}
STEPS=${2:-500}
cargo build --release --quiet
tmp=$(mktemp -d)
run() { # name threads extra...
    local name=$1 t=$2; shift 2
    rm -rf "$tmp/out"
    target/release/simrun configs/bench-heat4096.toml --set time.steps="$STEPS" --set parallel.threads="$t" \
        --set output.dir=\""$tmp/out"\" --report "$tmp/${name}_t${t}_$rep.json" "$@" 2>/dev/null
}
for rep in $(seq "$REPEATS"); do
    for t in 1 2; do
        run none "$t"
        run async "$t" --set checkpoint.every_steps=50 --set checkpoint.keep=2
        run sync "$t" --set checkpoint.every_steps=50 --set checkpoint.keep=2 --set checkpoint.asynchronous=false
    done
done
for t in 1 2; do
    echo "== $t compute thread(s) =="
    python3 scripts/bench_stats.py "no checkpoints=$tmp/none_t${t}_*.json" "async checkpoints=$tmp/async_t${t}_*.json" \
        "synchronous checkpoints=$tmp/sync_t${t}_*.json"
    python3 - "$tmp" "$t" <<'PY'
import glob, json, statistics, sys
d, t = sys.argv[1], sys.argv[2]
m = lambda p, k: statistics.median(json.load(open(f))[k] for f in glob.glob(f"{d}/{p}_t{t}_*.json"))
for k in ("loop_seconds", "wall_seconds"):
    none, a, s = m("none", k), m("async", k), m("sync", k)
    print(f"{k}: async overhead {100 * (a / none - 1):+.1f} %  synchronous overhead {100 * (s / none - 1):+.1f} %")
PY
done
rm -rf "$tmp"
