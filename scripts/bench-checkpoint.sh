#!/usr/bin/env bash
# Checkpoint cost against the write floor, in one interleaved run. Heat 2-D 4096^2, STEPS steps,
# a checkpoint every STEPS/10 steps (10 x 128 MiB), on 1 and 2 compute threads, round by round:
#   none / async / sync checkpoints (this build; and the same with BASE, an older simrun binary,
#   for an A/B), and the raw write floor (examples/bench_write_floor.rs: 128 MiB write + fsync +
#   rename, CPU and wall, plus what the data-file path's parts cost alone), and `beside`: the
#   none run again while another process only writes the same blocks at the same cadence, by
#   O_DIRECT from an aligned buffer (what the writing itself costs the compute threads on this
#   machine: the floor under the async overhead).
# Prints medians of per-round ratios: async / sync overhead on the loop time, the I/O thread's CPU
# per checkpoint (report `io_thread`) against the floor, and the issue-16 goals (I/O-path CPU
# within 1.5x of the floor; async overhead <= 5 % on 1 thread, <= 15 % on 2).
#   ./scripts/bench-checkpoint.sh [REPEATS] [STEPS] [BASE]     (defaults 5 500)
#   QUICK=1 ./scripts/bench-checkpoint.sh                       (2 rounds of 200 steps)
#   NEW=path/to/simrun ...: measure that binary instead of building target/release/simrun
#   NO_BUILD=1: use the binaries as they are (target/release/examples/bench_write_floor too)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
export HDF5_USE_FILE_LOCKING=FALSE
if [ -n "${QUICK:-}" ]; then REPEATS=${1:-2}; STEPS=${2:-200}; else REPEATS=${1:-5}; STEPS=${2:-500}; fi
BASE=${3:-}
EVERY=$((STEPS / 10))
NEW=${NEW:-target/release/simrun}
if [ -n "${NO_BUILD:-}" ]; then :
elif [ "$NEW" = target/release/simrun ]; then cargo build --release --quiet --bin simrun --example bench_write_floor
else cargo build --release --quiet --example bench_write_floor; fi
tmp=$(mktemp -d)
writer=""
trap 'if [ -n "$writer" ]; then kill "$writer" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
run() { # side binary name threads extra...
    local side=$1 bin=$2 name=$3 t=$4; shift 4
    rm -rf "$tmp/out"
    /usr/bin/time -f '{"user": %U, "sys": %S}' -o "$tmp/${side}_${name}_t${t}_$rep.time" \
        "$bin" configs/bench-heat4096.toml --set time.steps="$STEPS" --set parallel.threads="$t" \
        --set output.dir=\""$tmp/out"\" --report "$tmp/${side}_${name}_t${t}_$rep.json" "$@" >/dev/null 2>&1
}
uptime
for rep in $(seq "$REPEATS"); do
    for t in 1 2; do
        for side in new ${BASE:+base}; do
            bin=$NEW
            [ "$side" = base ] && bin=$BASE
            run "$side" "$bin" none "$t"
            if [ "$side" = new ]; then
                # The bare writes beside the same run, at the async run's cadence (one block per
                # tenth of the none run's loop): what the writing itself costs the compute threads.
                period=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['loop_seconds'] / 10)" \
                    "$tmp/new_none_t${t}_$rep.json")
                target/release/examples/bench_write_floor --beside 128 "$period" "$tmp/beside" &
                writer=$!
                run new "$bin" beside "$t"
                kill "$writer"; wait "$writer" 2>/dev/null || true
                writer=""
            fi
            run "$side" "$bin" async "$t" --set checkpoint.every_steps="$EVERY" --set checkpoint.keep=2
            run "$side" "$bin" sync "$t" --set checkpoint.every_steps="$EVERY" --set checkpoint.keep=2 \
                --set checkpoint.asynchronous=false
        done
    done
    target/release/examples/bench_write_floor 128 3 "$tmp/floor" | sed -n 's/^floor_json //p' >"$tmp/floor_$rep.json"
done
uptime
python3 scripts/bench_checkpoint_stats.py "$tmp" "$REPEATS" new ${BASE:+base}
