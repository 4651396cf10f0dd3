#!/usr/bin/env bash
# simrun next to its peers on the same problems, interleaved round by round (every code runs once
# per round, so machine noise hits all alike), medians over rounds and per-round ratios, printed
# as markdown tables for the README's performance section:
#   scripts/bench-peers.sh [--quick] [heat] [weather] [cavity] [checkpoint] [heat3d] [multigrid]
#   (default: all six)
#   heat       heat 2-D N^2 x STEPS (CSC heat-equation's problem, 4096^2 x 500): simrun (threads;
#              one step per sweep too; 2 ranks) vs CSC heat-equation (serial; hybrid MPI+OpenMP as
#              2 threads and as 2 ranks) vs Devito; MLUPS and percent of the STREAM-style copy
#              bound measured in the same round (examples/bench_heat.rs: 16 bytes per update).
#   weather    miniWeather C++ MPI vs simrun configs/weather-thermal.toml (output off in both):
#              100x50 thermal to 1000 s on 1 core (1 rank; 1 thread) and 2 cores (2 ranks;
#              2 threads, 2 ranks), 2048x1024 to BIG_TIME s (a few steps) on 1 core.
#   cavity     lid-driven cavity 128^2 from rest, Re 100 and 1000, 1 core: simrun
#              configs/cavity-reRE.toml (time-accurate) and configs/cavity-reRE-steady.toml
#              (pseudo-time), each run as the file says (its stopping rule, solver settings), vs
#              OpenFOAM icoFoam (to steady state) and simpleFoam (to convergence),
#              scripts/peers/openfoam-cavity.sh; process wall and CPU time, and the accuracy of
#              each against Ghia et al. (1982) and Botella & Peyret (1998) computed alike
#              (scripts/peers/cavity_metrics.py).
#   checkpoint scripts/bench-checkpoint.sh ROUNDS CK_STEPS, its output as is.
#   heat3d     simrun alone (no peer runs 3-D here): scripts/bench-heat3d.sh, 256^3 and 512^3 on
#              1 and 2 threads as a share of the copy bound, its output as is.
#   multigrid  simrun alone: scripts/bench-multigrid-threads.sh, V-cycle against the bandwidth
#              bound and the cavity on 1 and 2 threads, its output as is.
# The peers are installed and built first (scripts/peers/setup-peers.sh: git clone over https at
# pinned commits, pip, apt; cached under ~/.cache/simrun-peers). The output starts with the
# machine (CPU, cores, copy bandwidth, load, compilers and flags, peer versions).
# Environment: ROUNDS (3; quick 1), CAVITY_ROUNDS (ROUNDS), HEAT_N (4096), HEAT_STEPS (500),
# WX_TIME (1000), BIG_NX/BIG_NZ/BIG_TIME (2048/1024/0.5), CK_STEPS (500), CAVITY_RE ("100 1000"),
# SIMRUN (a simrun binary: skips the build; cavity-profiles and bench_heat from target/release),
# PEER_CFLAGS (-O3 -march=native), CSC_URL / MW_URL (clone from a mirror), SIMRUN_PEERS (cache),
# RESULTS (a file that receives the raw measurements, one JSON object per line, as they come:
# `python3 scripts/peers/summarize.py FILE` prints the tables again, e.g. from an interrupted run).
# --quick: a smoke test of every path in a few minutes (1 round, 1024^2 x 50 heat, weather to
# 100 s and 256x128, cavity 32^2 to t = 1, checkpoints 1 x 50 steps): numbers meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0
parts=()
for a in "$@"; do
    case $a in
        --quick | quick) QUICK=1 ;;
        heat | weather | cavity | checkpoint | heat3d | multigrid) parts+=("$a") ;;
        -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
        *) echo "bench-peers: unknown argument '$a' (--quick heat weather cavity checkpoint heat3d multigrid)" >&2; exit 2 ;;
    esac
done
[ ${#parts[@]} -gt 0 ] || parts=(heat weather cavity checkpoint heat3d multigrid)
has() { [[ " ${parts[*]} " == *" $1 "* ]]; }
if [ "$QUICK" = 1 ]; then
    ROUNDS=${ROUNDS:-1} HEAT_N=${HEAT_N:-1024} HEAT_STEPS=${HEAT_STEPS:-50} WX_TIME=${WX_TIME:-100}
    BIG_NX=${BIG_NX:-256} BIG_NZ=${BIG_NZ:-128} BIG_TIME=${BIG_TIME:-2} CK_STEPS=${CK_STEPS:-50}
    CAVITY_N=32 CAVITY_END=1
    export SIMPLE_TOL=${SIMPLE_TOL:-1e-4}
fi
ROUNDS=${ROUNDS:-3}
CAVITY_ROUNDS=${CAVITY_ROUNDS:-$ROUNDS}
HEAT_N=${HEAT_N:-4096} HEAT_STEPS=${HEAT_STEPS:-500}
WX_TIME=${WX_TIME:-1000} BIG_NX=${BIG_NX:-2048} BIG_NZ=${BIG_NZ:-1024} BIG_TIME=${BIG_TIME:-0.5}
CK_STEPS=${CK_STEPS:-500}
CAVITY_RE=${CAVITY_RE:-"100 1000"}
CAVITY_N=${CAVITY_N:-}
CAVITY_END=${CAVITY_END:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none)
source scripts/setup.sh
simrun_setup >/dev/null

# --- peers and simrun ---
peer_list=()
has heat && peer_list+=(heat devito)
has weather && peer_list+=(weather)
has cavity && peer_list+=(openfoam)
peers_txt=""
if [ ${#peer_list[@]} -gt 0 ]; then peers_txt=$(scripts/peers/setup-peers.sh "${peer_list[@]}"); fi
CACHE=${SIMRUN_PEERS:-$HOME/.cache/simrun-peers}
VENV=${SIMRUN_VENV:-$HOME/.cache/simrun-devito-venv}
nice cargo build --release --quiet --bins --example bench_heat --example bench_multigrid
SIMRUN=${SIMRUN:-$ROOT/target/release/simrun}
BENCH_HEAT=$ROOT/target/release/examples/bench_heat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RES=${RESULTS:-$tmp/results.jsonl}
: >"$RES"
rec() { echo "$1" >>"$RES"; } # one JSON object per measurement
jget() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# copy bandwidth and bound (bench_heat's result lines) for 1 and 2 threads -> "gbs1 bound1 gbs2 bound2"
copy_bound() {
    "$BENCH_HEAT" "$1" 3 1,2 | python3 -c '
import re, sys
r = {}
for l in sys.stdin:
    if l.startswith("result "):
        t = dict(m.groups() for m in re.finditer(r"(\w+)=(\S+)", l))
        r[t["threads"]] = (t["copy_gbs"], t["bound_mlups"])
print(r["1"][0], r["1"][1], r["2"][0], r["2"][1])'
}

# --- machine ---
echo "# simrun vs peers ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
read -r gbs1 _ gbs2 _ <<<"$(copy_bound 4096)"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "- machine: $cpu, $(nproc) cores ($(lscpu | sed -n 's/^L2 cache: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p')), $(uname -sr)"
echo "- STREAM-style copy (examples/bench_heat, 4096^2 f64): $gbs1 GB/s on 1 thread, $gbs2 GB/s on 2"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (rounds: $ROUNDS, cavity rounds: $CAVITY_ROUNDS$( [ "$QUICK" = 1 ] && echo ', QUICK: smoke test, numbers meaningless'))"
echo "- simrun $(git rev-parse --short HEAD 2>/dev/null || echo '?'): $(rustc -V), cargo --release (Cargo.toml profile), SIMD chosen at run time ($(if grep -q -w avx512f /proc/cpuinfo; then echo AVX-512; elif grep -q -w avx2 /proc/cpuinfo; then echo AVX2; else echo portable; fi) here)"
echo "- C/C++: $(gcc --version | head -1); MPI: $(mpirun --version 2>/dev/null | head -1); peers' flags ${PEER_CFLAGS:--O3 -march=native}"
[ -z "$peers_txt" ] || echo "$peers_txt" | sed 's/^peer /- peer: /'
echo

# --- heat ---
heat_round() { # round
    local r=$1 n=$HEAT_N s=$HEAT_STEPS b1 b2 c
    read -r _ b1 _ b2 <<<"$(copy_bound "$n")"
    rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":1,\"code\":\"bound\",\"mlups\":$b1}"
    rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":2,\"code\":\"bound\",\"mlups\":$b2}"
    local sim=("$SIMRUN" configs/bench-heat4096.toml --set grid.nx="$n" --set grid.ny="$n" --set time.steps="$s"
        --set output.dir="\"$tmp/heat\"" --report "$tmp/h.json")
    for c in 1 2; do
        "${sim[@]}" --set parallel.threads="$c" >/dev/null 2>&1
        rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":$c,\"code\":\"simrun, $c thread(s)\",\"mlups\":$(jget "$tmp/h.json" cell_updates_per_second)e-6}"
        "${sim[@]}" --set parallel.threads="$c" --set parallel.time_block=1 >/dev/null 2>&1
        rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":$c,\"code\":\"simrun, $c thread(s), 1 step per sweep\",\"mlups\":$(jget "$tmp/h.json" cell_updates_per_second)e-6}"
        OMP_NUM_THREADS=$c "$VENV/bin/python" scripts/devito_heat.py --n "$n" --steps "$s" --repeats 1 >"$tmp/d.txt" 2>/dev/null
        rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":$c,\"code\":\"Devito, $c thread(s)\",\"mlups\":$(sed -n 's/^devito .*mlups_median=\([0-9.]*\).*/\1/p' "$tmp/d.txt")}"
    done
    "${MPIRUN[@]}" -n 2 "${sim[@]}" --set parallel.threads=1 >/dev/null 2>&1
    rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":2,\"code\":\"simrun, 2 ranks\",\"mlups\":$(jget "$tmp/h.json" cell_updates_per_second)e-6}"
    local csc=$CACHE/heat-equation/2d secs
    mkdir -p "$tmp/csc" && cd "$tmp/csc" # it writes heat_*.png here
    csc_rec() { # cores label cmd...
        local c=$1 label=$2; shift 2
        secs=$("$@" "$n" "$n" "$s" | sed -n 's/^Iteration took \([0-9.]*\) seconds.*/\1/p')
        rec "{\"part\":\"heat\",\"n\":$n,\"steps\":$s,\"round\":$r,\"cores\":$c,\"code\":\"$label\",\"mlups\":$(python3 -c "print($n*$n*$s/$secs/1e6)")}"
    }
    OMP_NUM_THREADS=1 csc_rec 1 "CSC heat-equation serial" "$csc/serial/heat_serial"
    OMP_NUM_THREADS=2 csc_rec 2 "CSC heat-equation hybrid, 2 threads" "${MPIRUN[@]}" -n 1 "$csc/mpi-openmp/heat_hybrid"
    OMP_NUM_THREADS=1 csc_rec 2 "CSC heat-equation hybrid, 2 ranks" "${MPIRUN[@]}" -n 2 "$csc/mpi-openmp/heat_hybrid"
    cd "$ROOT"
}

# --- weather ---
wx_round() { # round
    local r=$1 spec nx nz t cores exe secs
    for spec in "100 50 $WX_TIME 1" "100 50 $WX_TIME 2" "$BIG_NX $BIG_NZ $BIG_TIME 1"; do
        read -r nx nz t cores <<<"$spec"
        local prob="${nx}x${nz} to ${t} s"
        exe=$(scripts/peers/miniweather-build.sh "$nx" "$nz" "$t")
        secs=$("${MPIRUN[@]}" -n "$cores" "$exe" | sed -n 's/^CPU Time: \([0-9.eE+-]*\) sec.*/\1/p')
        rec "{\"part\":\"weather\",\"round\":$r,\"problem\":\"$prob\",\"cores\":$cores,\"code\":\"miniWeather, $cores rank(s)\",\"seconds\":$secs}"
        local sim=("$SIMRUN" configs/weather-thermal.toml --set grid.nx="$nx" --set grid.ny="$nz"
            --set time.end_time="$t" --set output.dir="\"$tmp/wx\"" --set output.progress='"off"'
            --set output.images=false --set output.diagnostics_every=0 --report "$tmp/w.json")
        local how
        for how in threads ranks; do
            if [ "$how" = ranks ] && [ "$cores" = 1 ]; then continue; fi
            if [ "$how" = threads ]; then
                "${sim[@]}" --set parallel.threads="$cores" >/dev/null 2>&1
            else
                "${MPIRUN[@]}" -n "$cores" "${sim[@]}" --set parallel.threads=1 >/dev/null 2>&1
            fi
            local label="simrun, $cores thread(s)"
            [ "$how" = ranks ] && label="simrun, $cores ranks"
            rec "{\"part\":\"weather\",\"round\":$r,\"problem\":\"$prob\",\"cores\":$cores,\"code\":\"$label\",\"seconds\":$(jget "$tmp/w.json" loop_seconds),\"cells\":$((nx * nz)),\"steps\":$(jget "$tmp/w.json" steps)}"
        done
    done
}

# --- cavity ---
cavity_round() { # round
    local r=$1 re n line w c variant cfg code
    for re in $CAVITY_RE; do
        n=${CAVITY_N:-$(sed -n 's/^nx *= *\([0-9]*\).*/\1/p' "configs/cavity-re$re.toml" | head -1)}
        # Time-accurate from rest (configs/cavity-reRE.toml), then pseudo-time straight to the
        # steady state (configs/cavity-reRE-steady.toml).
        for variant in "" -steady; do
            cfg="configs/cavity-re$re$variant.toml"
            code=simrun
            [ -z "$variant" ] || code="simrun pseudo-time"
            local extra=()
            [ -z "$CAVITY_N" ] || extra+=(--set grid.nx="$n" --set grid.ny="$n")
            if [ -n "$CAVITY_END" ]; then
                if [ -z "$variant" ]; then extra+=(--set time.end_time="$CAVITY_END"); else extra+=(--set time.steps=200); fi
            fi
            rm -rf "$tmp/cav"
            w=$(date +%s.%N)
            /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$SIMRUN" "$cfg" --set parallel.threads=1 \
                --set output.dir="\"$tmp/cav\"" --set output.progress='"off"' --report "$tmp/c.json" "${extra[@]}" >/dev/null 2>&1
            w=$(python3 -c "import time; print(time.time() - $w)")
            c=$(awk '{print $1 + $2}' "$tmp/cpu")
            "$ROOT/target/release/cavity-profiles" "$tmp/cav/final.h5" --re "$re" --out "$tmp/cav/prof" >/dev/null
            line=$(python3 scripts/peers/cavity_metrics.py simrun "$tmp/cav/prof" "$re")
            rec "$(python3 - "$line" "$re" "$r" "$w" "$c" "$(jget "$tmp/c.json" steps)" "$n" "$code" <<'PY'
import json, sys
m = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
print(json.dumps({"part": "cavity", "re": int(sys.argv[2]), "round": int(sys.argv[3]), "code": sys.argv[8],
                  "seconds": float(sys.argv[4]), "cpu": float(sys.argv[5]), "steps": int(sys.argv[6]),
                  "n": int(sys.argv[7]), "ghia": float(m["ghia_max"]), "botella": float(m["botella_max"])}))
PY
)"
        done
        local s
        for s in icoFoam simpleFoam; do
            line=$(scripts/peers/openfoam-cavity.sh "$s" "$re" "$n" "$tmp/of" "$( [ "$s" = icoFoam ] && echo "${CAVITY_END:-200}" || echo 0)")
            local m
            m=$(python3 scripts/peers/cavity_metrics.py openfoam "$tmp/of" "$re")
            rec "$(python3 - "$line" "$m" "$re" "$r" "$n" <<'PY'
import json, sys
o = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
m = dict(kv.split("=") for kv in sys.argv[2].split()[1:])
print(json.dumps({"part": "cavity", "re": int(sys.argv[3]), "round": int(sys.argv[4]), "code": o["solver"],
                  "seconds": float(o["seconds"]), "cpu": float(o["cpu"]), "steps": int(o["steps"]),
                  "n": int(sys.argv[5]), "ghia": float(m["ghia_max"]), "botella": float(m["botella_max"]),
                  "end": o["end"]}))
PY
)"
        done
    done
}

for r in $(seq 1 "$ROUNDS"); do
    if has heat; then heat_round "$r"; echo "heat round $r done $(date +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)" >&2; fi
    if has weather; then wx_round "$r"; echo "weather round $r done $(date +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)" >&2; fi
    if has cavity && [ "$r" -le "$CAVITY_ROUNDS" ]; then
        cavity_round "$r"; echo "cavity round $r done $(date +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)" >&2
    fi
done
HEAT_N=$HEAT_N HEAT_STEPS=$HEAT_STEPS python3 scripts/peers/summarize.py "$RES"
if has checkpoint; then
    echo "## Checkpoints (scripts/bench-checkpoint.sh $ROUNDS $CK_STEPS)"
    echo
    echo '```'
    # Its simrun runs print their phase profiles on stdout: keep the script's own lines only.
    scripts/bench-checkpoint.sh "$ROUNDS" "$CK_STEPS" | grep -v -E \
        '^profile over|^phase |^\(setup, |^[a-z_]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+%'
    echo '```'
    echo
fi
if has heat3d; then
    echo "## Heat 3-D (scripts/bench-heat3d.sh, $ROUNDS rounds)"
    echo
    echo '```'
    if [ "$QUICK" = 1 ]; then QUICK=1 ./scripts/bench-heat3d.sh 2>&1; else ROUNDS=$ROUNDS ./scripts/bench-heat3d.sh 2>&1; fi \
        | grep -v '^setup:'
    echo '```'
    echo
fi
if has multigrid; then
    echo "## Navier-Stokes threads and the V-cycle bound (scripts/bench-multigrid-threads.sh)"
    echo
    echo '```'
    SKIP_BUILD=1 ./scripts/bench-multigrid-threads.sh $( [ "$QUICK" = 1 ] && echo --quick) 2>&1 | grep -v '^round '
    echo '```'
    echo
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
