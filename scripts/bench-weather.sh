#!/usr/bin/env bash
# Throughput of the weather model (thermal case) in cell-steps per second: median of REPEAT runs
# for 100 x 50 (600 steps) and 2048 x 1024 (SMALL_STEPS steps), on 1 core (1 thread), and on
# 2 cores (2 threads in one process; 2 MPI ranks of 1 thread).
# "wall": cells * steps / wall seconds of the time loop (from the run report).
# "cpu" (one process only): cells * steps / CPU seconds of the loop, i.e. process CPU time
# (user + sys) minus that of a 0-step run; on a machine shared with other jobs this is the
# number to compare with a single-core reference, since wall time then includes waiting.
# Usage: scripts/bench-weather.sh [REPEAT]   (env: SIMRUN=path/to/simrun to skip the build)
# Against upstream miniWeather on the same machine, interleaved: scripts/bench-peers.sh weather
# (builds it) or scripts/bench-weather-peer.sh (prebuilt binaries; also compat mode).
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

# run NX NY STEPS RANKS THREADS -> "wall cell-steps/s" and "CPU seconds" of one run
one() {
  local nx=$1 ny=$2 steps=$3 ranks=$4 threads=$5
  local launch=()
  if (( ranks > 1 )); then launch=(mpirun -n "$ranks" --oversubscribe --bind-to none); fi
  sed -e "s/^end_time = .*/steps = $steps/" configs/weather-thermal.toml > "$tmp/bench.toml"
  /usr/bin/time -f "%U %S" -o "$tmp/cpu" "${launch[@]}" "$SIMRUN" "$tmp/bench.toml" \
    --set grid.nx="$nx" --set grid.ny="$ny" --set parallel.threads="$threads" \
    --set output.dir="\"$tmp/out\"" --set output.progress='"off"' --set output.images=false \
    --set output.diagnostics_every=0 --report "$tmp/report.json" 2>/dev/null
  local rate cpu
  rate=$(grep -o '"cell_updates_per_second": *[0-9.eE+-]*' "$tmp/report.json" | awk -F: '{print $2}')
  cpu=$(awk '{print $1 + $2}' "$tmp/cpu")
  echo "$rate $cpu"
}

printf '%-12s %-18s %s\n' grid setup "median M cell-steps/s of $REPEAT runs: wall [cpu]"
for spec in "100 50 600" "2048 1024 $SMALL_STEPS"; do
  read -r nx ny steps <<< "$spec"
  base=$(for _ in $(seq "$REPEAT"); do one "$nx" "$ny" 0 1 1; done | awk '{print $2}' | median)
  for setup in "1 1" "1 2" "2 1"; do
    read -r ranks threads <<< "$setup"
    runs=$(for _ in $(seq "$REPEAT"); do one "$nx" "$ny" "$steps" "$ranks" "$threads"; done)
    wall=$(echo "$runs" | awk '{print $1}' | median)
    line=$(printf '%-12s %-18s %6.2f' "${nx}x${ny}" "$ranks rank x $threads thr" "$(echo "$wall" | awk '{print $1/1e6}')")
    if (( ranks == 1 && threads == 1 )); then
      cpu=$(echo "$runs" | awk -v b="$base" -v c=$((nx * ny * steps)) '{d = $2 - b; if (d > 0) print c / d / 1e6}' | median)
      line="$line  [cpu ${cpu:-n/a}]"
    fi
    echo "$line"
  done
done
