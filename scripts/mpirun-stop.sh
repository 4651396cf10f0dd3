#!/usr/bin/env bash
# The documented ways to stop an mpirun job keep its final checkpoint, at the size where it
# matters (heat 2-D 4096^2 on 2 ranks: a final checkpoint of 128 MiB):
#   1. kill -USR1 <mpirun pid>  (mpirun forwards SIGUSR1/SIGUSR2 to every rank and waits): exit 75;
#   2. Ctrl-C / kill -TERM <mpirun pid> with OMPI_MCA_odls_base_sigkill_timeout raised (mpirun
#      sends SIGCONT, waits that many seconds, SIGTERM, waits again, then SIGKILL): committed;
#   3. the same with OpenMPI's default timeout of 1 s: reported (the final checkpoint may be lost).
# Each kept checkpoint is verified (simrun inspect) and continued to the same step as an
# uninterrupted run, bitwise.          ./scripts/mpirun-stop.sh [SECONDS_BEFORE_SIGNAL]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
WAIT=${1:-6}
cargo build --release --quiet
S=$PWD/target/release/simrun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(configs/bench-heat4096.toml --set parallel.threads=1 --set checkpoint.every_steps=1000000 --set time.steps=1000000)
mpi=(mpirun -n 2 --oversubscribe --bind-to none)

stop_case() { # name signal [env...]
    local name=$1 sig=$2; shift 2
    local out=$tmp/$name
    env "$@" setsid "${mpi[@]}" "$S" "${common[@]}" --set output.dir=\""$out"\" >"$tmp/$name.log" 2>&1 &
    local pid=$!
    sleep "$WAIT"
    local t0; t0=$(date +%s.%N)
    kill -"$sig" "$pid"
    local code=0
    wait "$pid" || code=$?
    local secs; secs=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
    if [ -f "$out/checkpoints/latest" ] && "$S" inspect "$out" >/dev/null 2>&1; then
        local ck; ck=$(cat "$out/checkpoints/latest")
        echo "$name: SIG$sig -> mpirun exit $code after $secs s; final checkpoint $ck committed and verified"
        echo "$out $((10#${ck#ckpt_}))"
    else
        echo "$name: SIG$sig -> mpirun exit $code after $secs s; NO committed final checkpoint"
        echo "- -"
    fi
}

check_continuation() { # out step
    local out=$1 step=$2 more=$(( $2 + 50 ))
    "${mpi[@]}" "$S" "${common[@]}" --set output.dir=\""$out"\" --set time.steps=$more --restart latest >/dev/null 2>&1
    "${mpi[@]}" "$S" "${common[@]}" --set output.dir=\""$tmp/ref"\" --set time.steps=$more \
        --set checkpoint.every_steps=0 >/dev/null 2>&1
    python3 - "$out/final.h5" "$tmp/ref/final.h5" <<'PY'
import sys, subprocess
a, b = sys.argv[1:3]
r = subprocess.run(["h5diff", "-d", "0", a, b, "/fields/temperature"], capture_output=True, text=True)
print("  continued 50 steps: " + ("bitwise equal to an uninterrupted run" if r.returncode == 0 else "DIFFERS: " + r.stdout[:200]))
sys.exit(r.returncode)
PY
}

fail=0
for c in "usr1 USR1" "term_timeout30 TERM OMPI_MCA_odls_base_sigkill_timeout=30" "int_timeout30 INT OMPI_MCA_odls_base_sigkill_timeout=30"; do
    read -r name sig envs <<<"$c"
    res=$(stop_case "$name" "$sig" ${envs:-X=1})
    echo "$res" | head -1
    read -r out step <<<"$(echo "$res" | tail -1)"
    if [ "$out" = "-" ]; then fail=1; else check_continuation "$out" "$step" || fail=1; fi
done
res=$(stop_case default_term TERM X=1)
echo "$res" | head -1
echo "  (OpenMPI's default odls_base_sigkill_timeout of 1 s leaves a rank about 1 s for its final checkpoint)"
exit $fail
