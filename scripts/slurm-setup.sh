#!/usr/bin/env bash
# A one-node Slurm on this machine from Debian's packages, for scripts/slurm-check.sh: installs
# munge, slurmctld, slurmd and the client if missing, writes /etc/slurm/slurm.conf (node
# localhost with this machine's CPUs, one partition), and starts munged, slurmctld and slurmd by
# hand (no systemd). Idempotent: running daemons are left alone. Needs root.
#   ./scripts/slurm-setup.sh            # then: sinfo, sbatch, srun --mpi=pmix ...
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-setup: needs root (installs packages, starts daemons)" >&2
    exit 2
fi
pkgs=(munge slurmctld slurmd slurm-client)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat >/etc/slurm/slurm.conf <<CONF
# Written by simrun's scripts/slurm-setup.sh: one node, daemons run as root, no cgroups.
ClusterName=simrun
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
KillWait=30
InactiveLimit=0
MinJobAge=600
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    [ -f /etc/munge/munge.key ] || { mungekey -c -f && chown munge:munge /etc/munge/munge.key; }
    su -s /bin/sh munge -c "munged" || munged --force
fi
if ! pgrep -x slurmctld >/dev/null; then
    nohup slurmctld -D >/var/log/slurm/slurmctld.out 2>&1 &
fi
if ! pgrep -x slurmd >/dev/null; then
    nohup slurmd -D -N localhost >/var/log/slurm/slurmd.out 2>&1 &
fi
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|allocated"; then
        echo "slurm-setup: one-node Slurm up ($(sinfo -h -o '%P %D %T %c CPUs'))" >&2
        exit 0
    fi
    scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
    sleep 1
done
echo "slurm-setup: Slurm did not come up; see /var/log/slurm/*.log" >&2
exit 1
