#!/usr/bin/env bash
# simrun's weather model against upstream miniWeather (C, MPI), interleaved round by round on the
# same problems; prints the per-round ratios' medians (miniWeather time / simrun time: > 1 means
# simrun is faster). Times are the time loop's wall seconds as each program reports them
# (simrun: loop_seconds of --report; miniWeather: its "CPU Time:" line, a wall clock around the
# loop), so setup, MPI start-up and output are left out of both.
#   1 core : thermal 100 x 50 to 1000 s (1500 steps), and 2048 x 1024 for 7 steps (to 0.2 s);
#            simrun 1 thread, miniWeather 1 rank, both pinned to one core (taskset -c $CORE).
#   2 cores: 100 x 50: simrun 2 threads, simrun 2 ranks, miniWeather 2 ranks.
# simrun runs configs/weather-thermal.toml, i.e. the default mode (`weather.compat = "none"`);
# COMPAT=1 runs compat mode ("miniweather", the reference's operations) instead.
#
# Usage: MW_SMALL=path MW_LARGE=path scripts/bench-weather-peer.sh [ROUNDS]   (default 5)
#        QUICK=1 ...: 3 rounds, 100 x 50 only.
# MW_SMALL / MW_LARGE: miniWeather's c/miniWeather_mpi.cpp (commit 7bfd5b4) compiled with
# `mpicxx -O3 -march=native -DNO_INFORM -D_OUT_FREQ=-1 -D_DATA_SPEC=DATA_SPEC_THERMAL` and
# -D_NX=100 -D_NZ=50 -D_SIM_TIME=1000 (small) or -D_NX=2048 -D_NZ=1024 -D_SIM_TIME=0.2
# (large), linked with -lpnetcdf. This script does not fetch or build them (scripts/bench-peers.sh
# does). Without MW_LARGE the large grid is skipped.
# Env: SIMRUN=path (skip the build), CORE=n (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
QUICK=${QUICK:-0}
CORE=${CORE:-0}
: "${MW_SMALL:?set MW_SMALL to a miniWeather binary for 100 x 50 (see the header)}"
if [[ -z "${SIMRUN:-}" ]]; then
  nice cargo build --release -j1 --quiet
  SIMRUN=target/release/simrun
fi
END=1000
if [[ $QUICK == 1 ]]; then
  ROUNDS=3
  MW_LARGE=
fi
COMPAT_MODE=none
[[ ${COMPAT:-0} == 1 ]] && COMPAT_MODE=miniweather
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MPI=(mpirun --oversubscribe --bind-to none)

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# simrun NX NY TIME-LINE RANKS THREADS [PIN] -> loop seconds
sim() {
  local nx=$1 ny=$2 tline=$3 ranks=$4 threads=$5 pin=${6:-}
  local launch=()
  [[ -n $pin ]] && launch=(taskset -c "$pin")
  (( ranks > 1 )) && launch=("${MPI[@]}" -n "$ranks")
  sed -e "s/^end_time = .*/$tline/" -e "s/^compat = .*/compat = \"$COMPAT_MODE\"/" \
    configs/weather-thermal.toml > "$tmp/bench.toml"
  "${launch[@]}" "$SIMRUN" "$tmp/bench.toml" --set grid.nx="$nx" --set grid.ny="$ny" \
    --set parallel.threads="$threads" --set output.dir="\"$tmp/out\"" --set output.progress='"off"' \
    --set output.images=false --set output.diagnostics_every=0 --report "$tmp/report.json" >/dev/null 2>&1
  grep -o '"loop_seconds": *[0-9.eE+-]*' "$tmp/report.json" | head -1 | awk -F: '{print $2 + 0}'
}

# miniWeather BIN RANKS [PIN] -> loop seconds
mw() {
  local bin=$1 ranks=$2 pin=${3:-}
  local launch=()
  [[ -n $pin ]] && launch=(taskset -c "$pin")
  (( ranks > 1 )) && launch=("${MPI[@]}" -n "$ranks")
  (cd "$tmp" && "${launch[@]}" "$bin" 2>/dev/null | awk '/CPU Time:/ {print $3; exit}')
}

echo "load: $(uptime | sed 's/.*load average/load average/')"
echo "simrun mode: compat = \"$COMPAT_MODE\"; $ROUNDS rounds; per round: simrun, peer, ratio = peer / simrun"
ratio_line() { # label, file of "a b" (simrun peer) -> median times and median ratio
  local label=$1 f=$2
  printf '%-44s simrun %8.3f s  peer %8.3f s  ratio %5.2fx\n' "$label" \
    "$(awk '{print $1}' "$f" | median)" "$(awk '{print $2}' "$f" | median)" \
    "$(awk '{print $2 / $1}' "$f" | median)"
}

: > "$tmp/s1"; : > "$tmp/l1"; : > "$tmp/t2"; : > "$tmp/r2"
for r in $(seq "$ROUNDS"); do
  a=$(sim 100 50 "end_time = $END.0" 1 1 "$CORE"); b=$(mw "$MW_SMALL" 1 "$CORE"); echo "$a $b" >> "$tmp/s1"
  if [[ -n "${MW_LARGE:-}" ]]; then
    a=$(sim 2048 1024 "steps = 7" 1 1 "$CORE"); b=$(mw "$MW_LARGE" 1 "$CORE"); echo "$a $b" >> "$tmp/l1"
  fi
  m=$(mw "$MW_SMALL" 2); t=$(sim 100 50 "end_time = $END.0" 1 2); k=$(sim 100 50 "end_time = $END.0" 2 1)
  echo "$t $m" >> "$tmp/t2"; echo "$k $m" >> "$tmp/r2"
  echo "round $r (s): 1 core 100x50 simrun/mW $(tail -1 "$tmp/s1"), 2048x1024 $(tail -1 "$tmp/l1");" \
    "2 cores 100x50: simrun 2 thr $t, 2 ranks $k, mW 2 ranks $m" >&2
done
ratio_line "100x50 to ${END} s, 1 core (1 thread)" "$tmp/s1"
[[ -s $tmp/l1 ]] && ratio_line "2048x1024, 7 steps, 1 core (1 thread)" "$tmp/l1"
ratio_line "100x50 to ${END} s, simrun 2 threads vs mW 2 ranks" "$tmp/t2"
ratio_line "100x50 to ${END} s, simrun 2 ranks vs mW 2 ranks" "$tmp/r2"
paste "$tmp/t2" "$tmp/r2" | awk '{print $3 / $1}' | median | awk '{printf "100x50, simrun 2 threads vs simrun 2 ranks: ratio %.2fx (ranks time / threads time)\n", $1}'
