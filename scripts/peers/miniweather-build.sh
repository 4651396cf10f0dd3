#!/usr/bin/env bash
# Builds miniWeather's C++ MPI version for one problem (its sizes, sim time and case are
# compile-time macros, as upstream's CMake sets them) and prints the binary's path; cached:
#   miniweather-build.sh NX NZ SIM_TIME [DATA_SPEC]      (DATA_SPEC default DATA_SPEC_THERMAL)
# Flags: mpicxx $PEER_CFLAGS (default -O3 -march=native) -D_OUT_FREQ=-1 (no output: upstream
# skips output() for a negative frequency) -DNO_INFORM (no per-step print) -lpnetcdf.
# Needs scripts/peers/setup-peers.sh weather first (the clone under $SIMRUN_PEERS).
set -euo pipefail
CACHE=${SIMRUN_PEERS:-$HOME/.cache/simrun-peers}
PEER_CFLAGS=${PEER_CFLAGS:-"-O3 -march=native"}
nx=$1 nz=$2 sim=$3 spec=${4:-DATA_SPEC_THERMAL}
src=$CACHE/miniWeather/c/miniWeather_mpi.cpp
[ -f "$src" ] || { echo "miniweather-build: $src missing: run scripts/peers/setup-peers.sh weather" >&2; exit 1; }
commit=$(git -C "$CACHE/miniWeather" rev-parse --short HEAD)
flags=($PEER_CFLAGS)
tag=$(echo "${commit}_${nx}x${nz}_${sim}_${spec}_${PEER_CFLAGS}" | tr -c 'A-Za-z0-9_.\n-' '_')
exe=$CACHE/bin/miniweather_$tag
if [ ! -x "$exe" ]; then
    mkdir -p "$CACHE/bin"
    mpicxx "${flags[@]}" -D_NX="$nx" -D_NZ="$nz" -D_SIM_TIME="$sim" -D_OUT_FREQ=-1 -D_DATA_SPEC="$spec" \
        -DNO_INFORM "$src" -o "$exe.tmp" -lpnetcdf
    mv "$exe.tmp" "$exe"
fi
echo "$exe"
