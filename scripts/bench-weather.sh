#!/usr/bin/env bash
# Throughput of the weather model (thermal case) in cell-steps per second: median of REPEAT runs
# for 100 x 50 (600 steps) and 2048 x 1024 (SMALL_STEPS steps), on 1 core (1 thread), and on
# 2 cores (2 threads in one process; 2 MPI ranks of 1 thread).
# Usage: scripts/bench-weather.sh [REPEAT]   (env: SIMRUN=path/to/simrun to skip the build)
# Reference: upstream miniWeather C reaches 2.4-3.7 M cell-steps/s at 100 x 50 and 2.8 M at
# 2048 x 1024 on one core of the development machine.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${1:-5}
SMALL_STEPS=${SMALL_STEPS:-10}
if [[ -z "${SIMRUN:-}" ]]; then
  cargo build --release -j1 --quiet
  SIMRUN=target/release/simrun
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# run NX NY STEPS RANKS THREADS -> cell-steps/s of one run
one() {
  local nx=$1 ny=$2 steps=$3 ranks=$4 threads=$5
  local launch=()
  if (( ranks > 1 )); then launch=(mpirun -n "$ranks" --oversubscribe --bind-to none); fi
  sed -e "s/^end_time = .*/steps = $steps/" configs/weather-thermal.toml > "$tmp/bench.toml"
  "${launch[@]}" "$SIMRUN" "$tmp/bench.toml" \
    --set grid.nx="$nx" --set grid.ny="$ny" --set parallel.threads="$threads" \
    --set output.dir="\"$tmp/out\"" --set output.progress='"off"' --set output.images=false \
    --set output.diagnostics_every=0 --report "$tmp/report.json" 2>/dev/null
  grep -o '"cell_updates_per_second": *[0-9.eE+-]*' "$tmp/report.json" | awk -F: '{print $2}'
}

printf '%-12s %-22s %s\n' grid setup "median M cell-steps/s (of $REPEAT)"
for spec in "100 50 600" "2048 1024 $SMALL_STEPS"; do
  read -r nx ny steps <<< "$spec"
  for setup in "1 1" "1 2" "2 1"; do
    read -r ranks threads <<< "$setup"
    vals=$(for _ in $(seq "$REPEAT"); do one "$nx" "$ny" "$steps" "$ranks" "$threads"; done)
    med=$(echo "$vals" | median)
    label="$ranks rank x $threads thr"
    printf '%-12s %-22s %.2f\n' "${nx}x${ny}" "$label" "$(echo "$med" | awk '{print $1/1e6}')"
  done
done
