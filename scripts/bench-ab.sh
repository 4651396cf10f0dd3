#!/usr/bin/env bash
# Two simrun builds side by side on the whole engine, interleaved in every round (A then B, then
# B then A in the next round, so drift in the machine's load falls on both): heat 2-D, heat 3-D,
# weather (thermal) and navier_stokes (cavity), 1 thread, images, checkpoints and diagnostics off.
# Prints per case the median loop seconds (from each run's --report) of A and B and the median of
# the per-round ratios B/A (< 1: B is faster).
# Usage: scripts/bench-ab.sh SIMRUN_A SIMRUN_B [ROUNDS]
#   e.g. git worktree add /tmp/base <commit> && (cd /tmp/base && cargo build --release)
#        scripts/bench-ab.sh /tmp/base/target/release/simrun target/release/simrun 7
# Each build reads the configs of its own checkout (../../configs beside target/release), so a
# build from before a config change runs with the keys it knows.
set -euo pipefail
a="$1"; b="$2"; rounds="${3:-7}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
configs_of() { echo "$(cd "$(dirname "$1")/../.." && pwd)/configs"; }
# label | config | steps (replacing the config's end_time) | --set arguments
cases=(
    "heat2d-2048^2x1000|heat2d.toml|1000|grid.nx=2048 grid.ny=2048"
    "heat3d-192^3x200|heat3d.toml|200|grid.nx=192 grid.ny=192 grid.nz=192"
    "weather-1024x512x40|weather-thermal.toml|40|grid.nx=1024 grid.ny=512"
    "cavity-256^2x100|cavity-re100.toml|100|grid.nx=256 grid.ny=256"
)
run() { # BIN CASE ROUND VARIANT
    local bin=$1 spec=$2 round=$3 v=$4 label cfg steps sets args=()
    IFS='|' read -r label cfg steps sets <<< "$spec"
    for s in $sets; do args+=(--set "$s"); done
    sed -e "s/^end_time = .*/steps = $steps/" "$(configs_of "$bin")/$cfg" > "$tmp/$v.toml"
    "$bin" "$tmp/$v.toml" "${args[@]}" --set parallel.threads=1 --set output.images=false \
        --set output.diagnostics_every=0 --set output.dir="\"$tmp/out$v\"" \
        --report "$tmp/$label.$v.$round.json" >/dev/null 2>"$tmp/err" ||
        { echo "bench-ab: $bin on $label failed: $(tail -1 "$tmp/err")" >&2; exit 1; }
}
for round in $(seq "$rounds"); do
    for spec in "${cases[@]}"; do
        if (( round % 2 )); then run "$a" "$spec" "$round" A; run "$b" "$spec" "$round" B
        else run "$b" "$spec" "$round" B; run "$a" "$spec" "$round" A; fi
    done
done
python3 - "$tmp" "$rounds" "${cases[@]}" <<'EOF'
import json, statistics, sys
tmp, rounds, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(f"{'case':<24} {'A s (median)':>13} {'B s (median)':>13} {'B/A (median of rounds)':>24}")
for spec in cases:
    label = spec.split("|")[0]
    loop = {v: [json.load(open(f"{tmp}/{label}.{v}.{r}.json"))["loop_seconds"] for r in range(1, rounds + 1)] for v in "AB"}
    ratios = [b / a for a, b in zip(loop["A"], loop["B"])]
    print(f"{label:<24} {statistics.median(loop['A']):>13.3f} {statistics.median(loop['B']):>13.3f} "
          f"{statistics.median(ratios):>17.3f} [{min(ratios):.3f}-{max(ratios):.3f}]")
EOF
