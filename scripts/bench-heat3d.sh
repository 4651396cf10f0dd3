#!/usr/bin/env bash
# Heat 3-D sweep (the engine's default steps per sweep) as a share of the STREAM copy bound
# (16 bytes per update, copy measured in the same process), at N^3 for N in SIZES, on 1 and 2
# threads. With BASE=<an older target/release/examples/bench_heat> the old and the new binary run
# round by round, interleaved, and the script prints the median of each side and of the per-round
# ratios new/old.
#   ./scripts/bench-heat3d.sh                 # 256^3 and 512^3, 5 rounds of 5 repeats
#   QUICK=1 ./scripts/bench-heat3d.sh         # 256^3 only, 3 rounds of 3 repeats
#   BASE=/tmp/bench_heat-main ROUNDS=7 SIZES="256 512" ./scripts/bench-heat3d.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
if [ -n "${QUICK:-}" ]; then
    SIZES=${SIZES:-256}; ROUNDS=${ROUNDS:-3}; REPEATS=${REPEATS:-3}
fi
SIZES=${SIZES:-256 512}
ROUNDS=${ROUNDS:-5}
REPEATS=${REPEATS:-5}
THREADS=${THREADS:-1,2}
cargo build --release --quiet --example bench_heat
NEW=target/release/examples/bench_heat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
uptime
for round in $(seq "$ROUNDS"); do
    for n in $SIZES; do
        for side in new ${BASE:+old}; do
            bin=$NEW
            [ "$side" = old ] && bin=$BASE
            # The engine's choice of steps per sweep only (the last argument: 3-D).
            "$bin" "$n" "$REPEATS" "$THREADS" 0 3 | grep '^result' | sed "s/^/side=$side round=$round /" >>"$tmp/results"
        done
    done
done
uptime
python3 - "$tmp/results" <<'PY'
import statistics, sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
    rows.append(kv)
keys = sorted({(int(r["n"]), int(r["threads"])) for r in rows})
print(f"{'grid':>6} {'threads':>7} {'side':>4} {'copy GB/s':>9} {'bound':>7} {'MLUPS':>7} {'of bound':>8}")
for n, t in keys:
    by = {}
    for side in ("old", "new"):
        sel = [r for r in rows if r["side"] == side and int(r["n"]) == n and int(r["threads"]) == t]
        if not sel:
            continue
        by[side] = {int(r["round"]): r for r in sel}
        med = lambda f: statistics.median(float(r[f]) for r in sel)
        print(f"{n:>4}^3 {t:>7} {side:>4} {med('copy_gbs'):>9.2f} {med('bound_mlups'):>7.0f} "
              f"{med('kernel_mlups'):>7.0f} {100 * med('kernel_of_bound'):>7.0f}%")
    if len(by) == 2:
        ratios = [float(by["new"][r]["kernel_mlups"]) / float(by["old"][r]["kernel_mlups"])
                  for r in by["new"] if r in by["old"]]
        print(f"{n:>4}^3 {t:>7} new/old: median of per-round ratios {statistics.median(ratios):.2f}")
PY
