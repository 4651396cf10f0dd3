#!/bin/bash
# A Slurm job for simrun that survives its walltime: it runs `--restart auto`, is signalled
# before the time limit, stops after committing a final checkpoint, and resubmits itself until
# the run is done. Copy it, set the #SBATCH lines for your machine, then:
#     sbatch scripts/slurm-job.sh CONFIG [simrun arguments...]
#
# Why each line (the pitfalls):
# - `--signal=USR1@180`: Slurm sends SIGUSR1 to every task of the job's steps 180 s before the
#   time limit (give it the time a final checkpoint takes, plus up to 60 s of Slurm's slack).
#   Not the time limit's own SIGTERM: it reaches the tasks and this batch shell at once, then
#   SIGKILL follows after KillWait (30 s by default), so the shell cannot resubmit and a final
#   checkpoint that takes longer is lost (and SIGTERM sent to srun itself becomes SIGKILL for its
#   tasks). Not `B:USR1`: that signals only this batch shell, which does not forward it.
# - `srun --mpi=pmix`: Debian's OpenMPI (and many others) only join a PMIx launcher; plain
#   `srun -n N` makes simrun refuse with one line. Not `mpirun` in this script: it would run in
#   the batch step, which `--signal=USR1@N` and `scancel --signal=USR1` do not reach (they signal
#   job steps), and `scancel --full` would kill this shell too.
# - `--restart auto`: the first job starts fresh, every later one continues from the newest
#   committed checkpoint (verified; an unusable one falls back to an older one), and a job of a
#   finished run does nothing and exits 0.
# - `--open-mode=append`: a requeued job (`scontrol requeue`, a node failure) keeps the log of
#   its first attempt instead of truncating it.
# - Exit codes: simrun exits 75 when it stopped early with its final checkpoint committed. Slurm
#   counts 75 as FAILED, so this script resubmits itself (`--dependency=afterany`: the next job
#   waits for this one to end) and then exits 0, so the chain's jobs show COMPLETED. Any other
#   code ends the chain with that code. SIMRUN_MAX_JOBS caps the chain (default 50). Options
#   given to the first `sbatch` on its command line are not in this file: the resubmission
#   keeps the job's name, task count, CPUs per task, time limit and output and error files (the
#   job id in their names, where it stands alone, becomes the next job's; appended to, not
#   truncated, when the name holds no job id), and signals SIMRUN_SIGNAL_AT seconds before the
#   limit (default 180, as the #SBATCH line below; set it if you override --signal on the command
#   line). A resubmission that fails ends the chain with exit 75 and says how to continue.
#
#SBATCH --job-name=simrun
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --signal=USR1@180
#SBATCH --output=simrun-%j.out
#SBATCH --open-mode=append
set -u
if [ $# -lt 1 ]; then
    echo "usage: sbatch $0 CONFIG [simrun arguments...]" >&2
    exit 2
fi
config=$1
shift
simrun=${SIMRUN:-simrun}
job=${SIMRUN_JOB_NUMBER:-1}
max=${SIMRUN_MAX_JOBS:-50}
threads=${SLURM_CPUS_PER_TASK:-1}
echo "simrun chain job $job (Slurm job ${SLURM_JOB_ID:-?}): $config $*"

srun --mpi=pmix --cpus-per-task="$threads" "$simrun" "$config" --restart auto \
    --set parallel.threads="$threads" "$@"
code=$?

case $code in
0)
    echo "simrun chain: done after $job job(s)"
    exit 0
    ;;
75)
    if [ "$job" -ge "$max" ]; then
        echo "simrun chain: stopped early again, but SIMRUN_MAX_JOBS=$max jobs ran; resubmit by hand" >&2
        exit 75
    fi
    # The original script (Slurm runs a spooled copy that is deleted after the job), and this
    # job's size and time limit (options given to the first sbatch are not in the script).
    script=${SIMRUN_JOB_SCRIPT:-$(scontrol show job "$SLURM_JOB_ID" | sed -n 's/^ *Command=\([^ ]*\).*/\1/p')}
    limit=$(squeue -h -j "$SLURM_JOB_ID" -o %l)
    show=$(scontrol show job "$SLURM_JOB_ID")
    # The output and error files as patterns: this job's id, where it stands alone in the file
    # name (not in the directories, not inside a longer number), becomes %j.
    pattern() {
        local path=$1 dir="" base=$1
        case $path in */*) dir=${path%/*}/ base=${path##*/} ;; esac
        printf '%s%s' "$dir" "$(printf '%s' "$base" | sed -E "s/(^|[^0-9])$SLURM_JOB_ID([^0-9]|\$)/\1%j\2/g")"
    }
    stdout=$(printf '%s\n' "$show" | sed -n 's/^ *StdOut=//p')
    stderr=$(printf '%s\n' "$show" | sed -n 's/^ *StdErr=//p')
    files=()
    [ -n "$stdout" ] && files+=(--output="$(pattern "$stdout")")
    [ -n "$stderr" ] && [ "$stderr" != "$stdout" ] && files+=(--error="$(pattern "$stderr")")
    if ! next=$(sbatch --parsable --dependency=afterany:"$SLURM_JOB_ID" --job-name="${SLURM_JOB_NAME:-simrun}" \
        --ntasks="$SLURM_NTASKS" --cpus-per-task="$threads" --time="$limit" \
        --signal=USR1@"${SIMRUN_SIGNAL_AT:-180}" "${files[@]}" --open-mode=append \
        --export=ALL,SIMRUN_JOB_NUMBER=$((job + 1)),SIMRUN_JOB_SCRIPT="$script" "$script" "$config" "$@"); then
        echo "simrun chain: stopped with its final checkpoint, but the resubmission failed (sbatch's message is above); continue by hand: sbatch $script $config $*" >&2
        exit 75
    fi
    echo "simrun chain: stopped before the time limit with its final checkpoint; continues in job $next"
    exit 0
    ;;
*)
    echo "simrun chain: simrun failed with exit code $code; chain ends" >&2
    exit "$code"
    ;;
esac
