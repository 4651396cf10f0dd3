#!/usr/bin/env bash
# simrun's 2-D heat kernel next to Devito on the same problem (N x N f64, 5-point explicit update,
# 0.2 per axis), measured in the same run, on 1 and 2 threads, interleaved round by round
# (simrun, Devito, simrun, Devito, ...) so that machine noise hits both alike.
#   ./scripts/bench-devito.sh [N] [ROUNDS]          (defaults 4096 5; about 2-3 minutes on 2 cores)
# Each round and thread count runs once each:
#   simrun: target/release/examples/bench_heat N KERNEL_REPEATS T   (medians of KERNEL_REPEATS timed
#           sweeps of the engine's kernel: one step per sweep, and the engine's default sweep)
#   Devito: scripts/devito_heat.py --n N --steps DEVITO_STEPS --repeats DEVITO_REPEATS with
#           OMP_NUM_THREADS=T (median of DEVITO_REPEATS timed op.apply of DEVITO_STEPS steps each,
#           after one warm-up apply; wall time around apply)
# The table gives, per thread count, the median over rounds of those per-round medians (min-max
# over rounds) and the ratios: simrun one step per sweep / Devito is the like-for-like one (Devito
# 4.8.23 has no time tiling for this loop nest: its 'skewing' option leaves the time loop outside),
# simrun's default sweep (temporal blocking) / Devito the engine's. The last column is Devito's own
# C-level section timers (cross-check only: they leave out apply's Python overhead, visible at small N).
# Environment: SIMRUN_VENV (default ~/.cache/simrun-devito-venv), KERNEL_REPEATS (21),
# DEVITO_STEPS (20), DEVITO_REPEATS (3), THREADS ("1 2"); NO_BUILD=1 uses the existing
# bench_heat binary instead of building it (e.g. while src/ does not compile).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup

N=${1:-4096}
ROUNDS=${2:-5}
KERNEL_REPEATS=${KERNEL_REPEATS:-21}
DEVITO_STEPS=${DEVITO_STEPS:-20}
DEVITO_REPEATS=${DEVITO_REPEATS:-3}
THREADS=${THREADS:-"1 2"}
# Devito 4.8.23 (PyPI, with numpy 2.4, sympy 1.14 on Python 3.11) installs and runs here; newer
# releases may change the generated code and so the numbers: bump deliberately.
DEVITO_VERSION=4.8.23
VENV=${SIMRUN_VENV:-$HOME/.cache/simrun-devito-venv}

# --- a C compiler with OpenMP (Devito compiles its generated C at run time) ---
have_openmp_cc() {
    local d
    d=$(mktemp -d)
    printf '#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n' >"$d/t.c"
    if gcc -fopenmp "$d/t.c" -o "$d/t" >/dev/null 2>&1 && "$d/t"; then rm -rf "$d"; return 0; fi
    rm -rf "$d"
    return 1
}
if ! command -v gcc >/dev/null 2>&1 || ! have_openmp_cc; then
    echo "bench-devito: installing gcc and libgomp1 (a C compiler with OpenMP, for Devito)" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gcc libgomp1 >/dev/null
    have_openmp_cc || { echo "bench-devito: gcc -fopenmp still does not work" >&2; exit 1; }
    echo "bench-devito: installed gcc libgomp1" >&2
fi

# --- the Devito venv (created once, reused while it holds the pinned version) ---
if "$VENV/bin/python" -c "import devito, sys; sys.exit(devito.__version__ != '$DEVITO_VERSION')" 2>/dev/null; then
    echo "bench-devito: using Devito $DEVITO_VERSION in $VENV" >&2
else
    echo "bench-devito: installing Devito $DEVITO_VERSION into $VENV (pip, once; about 30 s)" >&2
    if [ ! -x "$VENV/bin/python" ]; then
        if ! python3 -m venv "$VENV"; then
            echo "bench-devito: 'python3 -m venv' failed; on Debian/Ubuntu install python3-venv" >&2
            exit 1
        fi
    fi
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "devito==$DEVITO_VERSION"; then
        echo "bench-devito: 'pip install devito==$DEVITO_VERSION' into $VENV failed (see pip's output above);" \
             "check access to PyPI, or remove $VENV and retry" >&2
        exit 1
    fi
    "$VENV/bin/python" -c "import devito" || { echo "bench-devito: devito installed but does not import" >&2; exit 1; }
fi

if [ "${NO_BUILD:-0}" = 1 ] && [ -x target/release/examples/bench_heat ]; then
    echo "bench-devito: NO_BUILD=1: using the existing target/release/examples/bench_heat" \
         "(built $(date -r target/release/examples/bench_heat '+%Y-%m-%d %H:%M'))" >&2
else
    cargo build --release --quiet --example bench_heat
fi

export DEVITO_LANGUAGE=openmp DEVITO_ARCH=gcc DEVITO_LOGGING=WARNING

# simrun's numbers from bench_heat's output (file $1) for thread count $2, printed as "K1 DEFAULT":
# K1 = one step per sweep over memory (like Devito, which has no time tiling here), DEFAULT = the
# engine's default sweep (temporal blocking). Preferred: the machine-readable line holding the
# tokens "threads=T" and "kernel_mlups=X" (bench_heat's "result ..." line): DEFAULT = kernel_mlups,
# K1 = k1_mlups (= kernel_mlups if absent). Else (older bench_heat, one step per sweep) the table
# row whose first field is T, column "kernel MLUPS" as located in the header (split on runs of 2+
# spaces), or the 4th whitespace-separated field if the header does not show it; K1 = DEFAULT = it.
parse_simrun() {
    python3 - "$1" "$2" <<'EOF'
import re, sys
path, t = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
for ln in lines:
    toks = dict(m.groups() for m in re.finditer(r"(\w+)=(\S+)", ln))
    if toks.get("threads") == t and "kernel_mlups" in toks:
        k = float(toks["kernel_mlups"])
        print(float(toks.get("k1_mlups", k)), k); sys.exit(0)
col = 3
hdr = next((i for i, ln in enumerate(lines) if "kernel MLUPS" in ln), None)
if hdr is not None:
    names = re.split(r"\s{2,}", lines[hdr].strip())
    if "kernel MLUPS" in names:
        col = names.index("kernel MLUPS")
    else:
        print("bench-devito: 'kernel MLUPS' not a separate header column; taking the 4th", file=sys.stderr)
else:
    print("bench-devito: no result line nor 'kernel MLUPS' header in bench_heat's output; taking the 4th column",
          file=sys.stderr)
start = hdr + 1 if hdr is not None else 0
rows = [ln.split() for ln in lines[start:] if ln.split()[:1] == [t]]
if len(rows) != 1 or len(rows[0]) <= col:
    sys.exit(f"bench-devito: cannot find the row for threads={t} in bench_heat's output {path}")
print(float(rows[0][col]), float(rows[0][col]))
EOF
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== heat 2-D ${N}x${N} f64: simrun kernel vs Devito $DEVITO_VERSION, $ROUNDS interleaved rounds," \
     "started $(date '+%Y-%m-%d %H:%M:%S'), load average $(cut -d' ' -f1-3 /proc/loadavg) =="
echo "   simrun: medians of $KERNEL_REPEATS timed sweeps per round; Devito: median of $DEVITO_REPEATS" \
     "applies x $DEVITO_STEPS steps per round (wall time around apply)"
for r in $(seq 1 "$ROUNDS"); do
    for t in $THREADS; do
        target/release/examples/bench_heat "$N" "$KERNEL_REPEATS" "$t" >"$tmp/simrun_${t}_$r.txt"
        out=$(parse_simrun "$tmp/simrun_${t}_$r.txt" "$t")
        read -r s1 s <<<"$out"
        OMP_NUM_THREADS=$t "$VENV/bin/python" scripts/devito_heat.py --n "$N" --steps "$DEVITO_STEPS" \
            --repeats "$DEVITO_REPEATS" >"$tmp/devito_${t}_$r.txt" 2>"$tmp/devito_${t}_$r.err" || {
            cat "$tmp/devito_${t}_$r.err" >&2; echo "bench-devito: devito_heat.py failed" >&2; exit 1; }
        d=$(sed -n 's/^devito .*mlups_median=\([0-9.]*\).*/\1/p' "$tmp/devito_${t}_$r.txt")
        own=$(sed -n 's/^devito-own-report .*mlups_median=\([0-9.]*\).*/\1/p' "$tmp/devito_${t}_$r.err")
        [ -n "$d" ] || { echo "bench-devito: no result line from devito_heat.py" >&2; exit 1; }
        echo "$t $s1 $s $d ${own:-nan}" >>"$tmp/all.txt"
        printf '   round %d threads %d: simrun %.0f (default sweep %.0f)  devito %.0f MLUPS (own timers %s)  %s\n' \
            "$r" "$t" "$s1" "$s" "$d" "${own:-n/a}" "$(date +%H:%M:%S)"
    done
done
python3 - "$tmp/all.txt" <<'EOF'
import math, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def mm(v):
    return f"{min(v):.0f}-{max(v):.0f}"
print(f"{'threads':>7} {'simrun 1 step':>13} {'(min-max)':>11} {'Devito':>7} {'(min-max)':>11} {'simrun/Devito':>13}"
      f" | {'simrun default':>14} {'(min-max)':>11} {'default/Devito':>14} | {'Devito own':>10}")
for t in sorted({r[0] for r in rows}, key=int):
    s1 = [float(r[1]) for r in rows if r[0] == t]
    s = [float(r[2]) for r in rows if r[0] == t]
    d = [float(r[3]) for r in rows if r[0] == t]
    own = [float(r[4]) for r in rows if r[0] == t and not math.isnan(float(r[4]))]
    m1, ms, md = statistics.median(s1), statistics.median(s), statistics.median(d)
    mo = f"{statistics.median(own):.0f}" if own else "n/a"
    print(f"{t:>7} {m1:>13.0f} {mm(s1):>11} {md:>7.0f} {mm(d):>11} {m1 / md:>13.2f}"
          f" | {ms:>14.0f} {mm(s):>11} {ms / md:>14.2f} | {mo:>10}")
print("MLUPS, medians over rounds. simrun 1 step = one time step per sweep over memory (k1_mlups), like Devito;")
print("simrun default = the engine's default sweep (kernel_mlups; temporal blocking, which Devito does not do here);")
print("Devito own = Devito's C section timers (cross-check; no Python overhead of apply).")
EOF
echo "== finished $(date '+%Y-%m-%d %H:%M:%S'), load average $(cut -d' ' -f1-3 /proc/loadavg)" \
     "(other work on the machine lowers both columns; OpenMP's 2-thread runs suffer most) =="
