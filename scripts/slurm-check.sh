#!/usr/bin/env bash
# simrun under a real Slurm (one node is enough; scripts/slurm-setup.sh makes one here):
#  1. `srun --mpi=pmix -n 2` runs 2 ranks with the same bits as 1 process; plain `srun -n 1` runs
#     as one process; plain `srun -n 2` fails with the one-line hint;
#  2. the job template scripts/slurm-job.sh, submitted with a 1-minute limit, is signalled,
#     commits its final checkpoint, resubmits itself with --restart auto until done, and the
#     chained result is bitwise equal to an uninterrupted run.
# Skips (exit 0) when no Slurm answers. ./scripts/test.sh runs it when `sinfo` works.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! timeout 10 sinfo -h >/dev/null 2>&1; then
    echo "slurm-check: skipped (no Slurm answering here; ./scripts/slurm-setup.sh starts a one-node one)"
    exit 0
fi
source scripts/setup.sh
simrun_setup
cargo build --release --quiet
S=${CARGO_TARGET_DIR:-$PWD/target}/release/simrun
work=$(mktemp -d /tmp/simrun-slurm.XXXXXX)
trap 'scancel --name=simrun-check >/dev/null 2>&1 || true' EXIT
fail() { echo "slurm-check: FAIL: $* (files kept in $work)" >&2; exit 1; }
same() { h5diff -q "$1" "$2" /fields/temperature /fields/temperature >/dev/null 2>&1; }

small=(configs/heat2d.toml --set grid.nx=512 --set grid.ny=512 --set output.progress=\"off\" --set output.images=false)
timeout 300 srun --mpi=pmix -n 2 "$S" "${small[@]}" --set output.dir=\""$work/pmix"\" 2>"$work/pmix.err" ||
    fail "srun --mpi=pmix -n 2: $(tail -2 "$work/pmix.err")"
grep -q "MPI (2 ranks)" "$work/pmix.err" || fail "srun --mpi=pmix -n 2 did not run 2 ranks: $(head -1 "$work/pmix.err")"
timeout 300 srun -n 1 "$S" "${small[@]}" --set output.dir=\""$work/one"\" 2>"$work/one.err" ||
    fail "srun -n 1: $(tail -2 "$work/one.err")"
grep -q "on 1 process" "$work/one.err" || fail "srun -n 1 is not one process"
same "$work/pmix/final.h5" "$work/one/final.h5" || fail "2 ranks under srun differ from 1 process"
echo "slurm-check: srun --mpi=pmix -n 2 = 2 ranks, bitwise equal to srun -n 1 (one process)"
code=0
timeout 120 srun -n 2 "$S" "${small[@]}" --set output.dir=\""$work/nopmi"\" 2>"$work/nopmi.err" || code=$?
[ "$code" -eq 2 ] || fail "plain srun -n 2 exit $code (expected 2)"
grep -q "srun --mpi=pmix" "$work/nopmi.err" || fail "plain srun -n 2 gives no hint: $(cat "$work/nopmi.err")"
[ ! -e "$work/nopmi/final.h5" ] || fail "plain srun -n 2 wrote output"
echo "slurm-check: plain srun -n 2 refused: $(grep -m1 error "$work/nopmi.err")"

# The chain: about 100 s of compute on 2 ranks (at the rate the 2-rank run above measured, at
# least 40000 steps), jobs of 1 minute signalled 30 s before the end: two jobs at least.
rate=$(sed -n 's/.* \([0-9.]*\) M cell updates\/s.*/\1/p' "$work/pmix.err" | tail -1)
steps=$(awk -v r="${rate:-0}" 'BEGIN { s = int(100 * r * 1e6 / (1024 * 1024) / 1000) * 1000; print (s > 40000 ? s : 40000) }')
echo "slurm-check: chain of $steps steps (2 ranks measured ${rate:-?} M cell updates/s)"
cat >"$work/chain.toml" <<TOML
model = "heat"
[grid]
nx = 1024
ny = 1024
[time]
steps = $steps
[output]
dir = "$work/chain"
images = false
progress = "log"
diagnostics_every = 2000
[checkpoint]
every_wall = 20.0
keep = 2
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
[heat.initial.noise]
amplitude = 0.5
seed = 3
TOML
repo=$PWD
job=$(cd "$work" && SIMRUN="$S" SIMRUN_SIGNAL_AT=30 sbatch --parsable --job-name=simrun-check --time=1 \
    --signal=USR1@30 --ntasks=2 --cpus-per-task=1 --output="$work/job-%j.out" \
    "$repo/scripts/slurm-job.sh" "$work/chain.toml")
echo "slurm-check: submitted job $job (1-minute limit); waiting for the chain"
start=$(date +%s)
until grep -qs "simrun chain: done" "$work"/job-*.out; do
    if grep -qs "chain ends\|SIMRUN_MAX_JOBS" "$work"/job-*.out; then fail "the chain broke: $(cat "$work"/job-*.out | tail -20)"; fi
    [ $(($(date +%s) - start)) -lt 1200 ] || fail "the chain did not finish in 20 minutes: $(squeue; tail -5 "$work"/job-*.out)"
    sleep 5
done
jobs=$(ls "$work"/job-*.out | wc -l)
echo "slurm-check: the chain finished after $jobs job(s) in $(($(date +%s) - start)) s"
[ "$jobs" -ge 2 ] || fail "the job was never signalled (1 job)"
grep -h "stopping at step" "$work"/job-*.out | sed 's/^/  /'
mpirun -n 2 --oversubscribe --bind-to none "$S" "$work/chain.toml" --set output.dir=\""$work/ref"\" \
    --set checkpoint.every_wall=0 --set parallel.threads=1 2>/dev/null
same "$work/chain/final.h5" "$work/ref/final.h5" || fail "the chained result differs from an uninterrupted run"
echo "slurm-check: chained result bitwise equal to an uninterrupted run"
for j in $(grep -ho "Slurm job [0-9]*" "$work"/job-*.out | awk '{print $3}'); do
    scontrol show job "$j" 2>/dev/null | grep -o "JobId=[0-9]*\|JobState=[A-Z]*\|ExitCode=[0-9:]*" | paste -sd' ' |
        sed 's/^/  /' || true
done
rm -rf "$work"
