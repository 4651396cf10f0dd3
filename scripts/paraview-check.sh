#!/usr/bin/env bash
# simrun's outputs in a real ParaView (Debian's 5.11): every shipped model family at a small size
# (heat 2-D, a 2 mm heat 2-D plate, heat 3-D, weather, navier_stokes, and heat 2-D on 2 MPI ranks
# whose final.h5 is a commit over virtual datasets), each with checkpoints. For every output,
# scripts/paraview_check.py opens final.xdmf, checkpoints.xdmf and the field writers' series
# (<dir>.xdmf; heat 2-D writes one) with both XDMF readers
# (Xdmf3ReaderS, the default, and XDMFReader), compares every array's range with h5py at every
# time, and renders the field with the default reader: it must fill the view in colour.
#   ./scripts/paraview-check.sh                 # check (outputs in a temporary directory)
#   ./scripts/paraview-check.sh --shots DIR     # also save one screenshot per model in DIR
#                                               # (docs/paraview/ holds the committed ones)
# Installs paraview, python3-paraview, python3-h5py and xvfb with apt-get when pvpython,
# xvfb-run or h5py is missing (Debian 12, as root). Runs pvpython under `xvfb-run -a`
# (`--force-offscreen-rendering` crashes in Debian's build). Exits 1 with one line
# `paraview-check: FAIL ...` on the first failure. ./scripts/test.sh runs it when pvpython exists.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=""
if [ "${1:-}" = "--shots" ]; then
    shots=$(mkdir -p "$2" && cd "$2" && pwd)
fi
fail() { echo "paraview-check: FAIL $*" >&2; exit 1; }

if ! command -v pvpython >/dev/null || ! command -v xvfb-run >/dev/null || ! /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    echo "paraview-check: installing paraview, python3-paraview, python3-h5py, xvfb (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q paraview python3-paraview python3-h5py xvfb >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q paraview python3-paraview python3-h5py xvfb >/dev/null; } ||
        fail "cannot install paraview python3-paraview python3-h5py xvfb with apt-get"
fi

source scripts/setup.sh
simrun_setup
cargo build --release --quiet
S=$PWD/target/release/simrun
work=$(mktemp -d /tmp/simrun-paraview.XXXXXX)
quiet=(--set output.progress=\"off\" --set output.images=false --set checkpoint.keep=3)

# run NAME FIELD LABEL LAUNCH... -- SIMRUN ARGS: run simrun, then check its output in ParaView.
run() {
    local name=$1 field=$2 label=$3
    shift 3
    local launch=()
    while [ "$1" != "--" ]; do launch+=("$1"); shift; done
    shift
    "${launch[@]}" "$S" "$@" "${quiet[@]}" --set output.dir=\""$work/$name"\" >"$work/$name.log" 2>&1 ||
        fail "$label: simrun failed: $(tail -1 "$work/$name.log")"
    local shot=()
    [ -n "$shots" ] && [ "$name" != heat2d_mpi ] && shot=(--shot "$shots/$name.png")
    # A display another X client grabbed first aborts pvpython ("bad X server connection"): try again.
    for _ in 1 2 3; do
        xvfb-run -a -n $((100 + RANDOM % 800)) pvpython scripts/paraview_check.py "$work/$name" --field "$field" \
            --label "$label" "${shot[@]}" >"$work/$name.check" 2>"$work/$name.pverr" || true
        grep -q "bad X server connection" "$work/$name.pverr" || break
    done
    grep -v '^$' "$work/$name.check" || true
    grep -q "^paraview-check: ok" "$work/$name.check" ||
        fail "$(grep -m1 'FAIL' "$work/$name.check" | sed 's/^paraview-check: FAIL //' ||
            echo "$label: pvpython stopped: $(grep -m1 -i error "$work/$name.pverr")")"
}

run heat2d temperature "heat 2-D" -- configs/heat2d.toml \
    --set grid.nx=96 --set grid.ny=64 --set grid.lx=1.5 --set time.end_time=0.002 \
    --set parallel.threads=1 --set checkpoint.every_steps=12
run plate temperature "heat 2-D, 2 mm plate" -- configs/heat2d.toml \
    --set grid.nx=64 --set grid.ny=64 --set grid.lx=0.002 --set grid.ly=0.002 --set time.end_time=2e-8 \
    --set parallel.threads=1 --set checkpoint.every_steps=30
run heat3d temperature "heat 3-D" -- configs/heat3d.toml \
    --set grid.nx=32 --set grid.ny=24 --set grid.nz=16 --set time.end_time=0.01 \
    --set parallel.threads=1 --set checkpoint.every_steps=15
run weather theta "weather (thermal)" -- configs/weather-thermal.toml \
    --set time.end_time=100.0 --set parallel.threads=1 --set checkpoint.every_steps=50
run navier_stokes speed "navier_stokes (cavity, Re 100)" -- configs/cavity-re100.toml \
    --set grid.nx=48 --set grid.ny=48 --set time.end_time=2.0 --set parallel.threads=1 --set checkpoint.every_steps=40
run heat2d_mpi temperature "heat 2-D on 2 MPI ranks" mpirun --oversubscribe --bind-to none -n 2 -- configs/heat2d.toml \
    --set grid.nx=96 --set grid.ny=64 --set grid.lx=1.5 --set time.end_time=0.002 \
    --set parallel.threads=1 --set checkpoint.every_steps=12
[ -d "$work/heat2d_mpi/final" ] || fail "heat 2-D on 2 MPI ranks: final.h5 is not a distributed commit (no final/)"
rm -rf "$work"
echo "paraview-check: ok (heat 2-D, 2 mm plate, heat 3-D, weather, navier_stokes, 2-rank heat 2-D; both readers)"
