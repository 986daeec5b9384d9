#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for the cluster tests and CI (issue 22).
#
#   Scripts/local-slurm.sh start    install slurm-wlm and munge when missing, write the configuration, start munged,
#                                   slurmctld and slurmd, and wait until sinfo shows the node idle
#   Scripts/local-slurm.sh status   the daemons this script started, sinfo and squeue
#   Scripts/local-slurm.sh stop     end the daemons this script started (by their pid files), nothing else
#
# Everything lives under one folder the script owns (RESONANCE_SLURM_HOME, default /var/lib/resonance-slurm):
# slurm.conf, the controller's state, slurmd's spool, logs, pid files and the job-completion log (jobcomp/filetxt,
# which `sacct --completion` reads: this cluster has no accounting database). /etc/slurm/slurm.conf is made a link
# to its slurm.conf so that sbatch, squeue and the jobs find it; an /etc/slurm/slurm.conf the script did not write is
# left alone, and then the commands need SLURM_CONF (the script says so). The node is this machine, as slurmd -C
# reports it (CPUs, sockets, cores, memory), at NodeAddr 127.0.0.1; one partition, `local`. Idempotent: start on a
# running cluster only checks it, and a daemon that someone else runs (munged) is used, never restarted or stopped.
# Needs root (slurmd launches jobs as their users); run as another user it goes through sudo.
set -euo pipefail

home="${RESONANCE_SLURM_HOME:-/var/lib/resonance-slurm}"
conf="$home/slurm.conf"
partition="local"
slurm_version="22.05.8-4+deb12u3"
munge_version="0.5.15-2+deb12u1"

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=RESONANCE_SLURM_HOME "$0" "$@"
fi

say() { echo "local-slurm: $*"; }
fail() {
  echo "local-slurm: $*" >&2
  exit 1
}

# Whether the pid in file $1 names a live process whose command is $2.
running() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

install_packages() {
  local missing=()
  for package in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} (Debian slurm-wlm $slurm_version, munge $munge_version)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts must not start the daemons themselves (this script starts them, with its own configuration).
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
  fi
  if ! apt-get install -y -qq --no-install-recommends "slurm-wlm=$slurm_version" "slurm-client=$slurm_version" \
    "slurmctld=$slurm_version" "slurmd=$slurm_version" "slurm-wlm-basic-plugins=$slurm_version" \
    "munge=$munge_version" "libmunge2=$munge_version"; then
    echo "local-slurm: the pinned versions are not in the archive any more; installing the current ones" >&2
    apt-get install -y -qq --no-install-recommends slurm-wlm munge
  fi
  if [ "$added_policy" -eq 1 ]; then rm -f "$policy"; fi
}

write_configuration() {
  local node cpus boards sockets cores threads memory
  node="$(hostname -s)"
  # slurmd -C: this machine as slurmd sees it; the configuration must not claim more, or the node is drained.
  local line
  line="$(slurmd -C | head -1)"
  field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$line"; }
  cpus="$(field CPUs)"
  boards="$(field Boards)"
  sockets="$(field SocketsPerBoard)"
  cores="$(field CoresPerSocket)"
  threads="$(field ThreadsPerCore)"
  memory="$(field RealMemory)"
  [ -n "$cpus" ] && [ -n "$memory" ] || fail "slurmd -C did not report CPUs and RealMemory: $line"
  mkdir -p "$home/slurmctld" "$home/slurmd" "$home/log"
  local text
  text="$(
    cat <<EOF
# Written by Scripts/local-slurm.sh: a single-node cluster on $node for Resonance's tests. Edit the script instead.
ClusterName=resonance-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$home/slurmctld
SlurmdSpoolDir=$home/slurmd
SlurmctldPidFile=$home/slurmctld.pid
SlurmdPidFile=$home/slurmd.pid
SlurmctldLogFile=$home/log/slurmctld.log
SlurmdLogFile=$home/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
MaxArraySize=1001
MinJobAge=600
KillWait=10
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$home/log/jobcomp.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$memory State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  )"
  if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$text" ]; then
    printf '%s\n' "$text" >"$conf.partial" && mv "$conf.partial" "$conf"
    changed=1
  fi
  mkdir -p /etc/slurm
  if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$conf" ]; then
    :
  elif [ -e /etc/slurm/slurm.conf ]; then
    say "/etc/slurm/slurm.conf exists and is not this script's: export SLURM_CONF=$conf to use this cluster"
  else
    ln -s "$conf" /etc/slurm/slurm.conf
  fi
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    running "$home/munged.pid" munged || say "munged is already running (not started by this script; left alone)"
    return 0
  fi
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  rm -f "$home/munged.pid"
  touch "$home/munged.pid" && chown munge "$home/munged.pid"
  runuser -u munge -- munged --pid-file="$home/munged.pid"
  for _ in $(seq 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "munged did not start (see /var/log/munge/munged.log)"
}

# Starts daemon $1 (slurmctld or slurmd) unless this script's instance runs already.
start_daemon() {
  local daemon="$1"
  if running "$home/$daemon.pid" "$daemon"; then
    if [ "$changed" -eq 1 ]; then
      say "the configuration changed: restarting $daemon"
      stop_daemon "$daemon"
    else
      return 0
    fi
  fi
  "$daemon" -f "$conf" || fail "$daemon did not start (see $home/log/$daemon.log)"
  for _ in $(seq 50); do
    running "$home/$daemon.pid" "$daemon" && return 0
    sleep 0.2
  done
  fail "$daemon did not write its pid file $home/$daemon.pid (see $home/log/$daemon.log)"
}

stop_daemon() {
  local daemon="$1" pid
  if running "$home/$daemon.pid" "$daemon"; then
    pid="$(cat "$home/$daemon.pid")"
    kill "$pid"
    for _ in $(seq 100); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then kill -9 "$pid"; fi
    say "stopped $daemon (pid $pid)"
  fi
  rm -f "$home/$daemon.pid"
}

wait_idle() {
  local node state
  node="$(hostname -s)"
  for i in $(seq 120); do
    state="$(SLURM_CONF="$conf" sinfo -h -N -n "$node" -o %T 2>/dev/null | head -1 || true)"
    case "$state" in
      idle | mixed | allocated | completing) return 0 ;;
      down* | drain* | unknown*)
        if [ "$i" -gt 5 ]; then
          SLURM_CONF="$conf" scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
        fi
        ;;
    esac
    sleep 0.5
  done
  SLURM_CONF="$conf" sinfo -N -l >&2 || true
  fail "the node $node did not become idle in 60 s (state: ${state:-none}; see $home/log/)"
}

case "${1:-}" in
  start)
    install_packages
    changed=0
    mkdir -p "$home"
    write_configuration
    start_munge
    start_daemon slurmctld
    start_daemon slurmd
    wait_idle
    say "cluster up: partition '$partition' on $(hostname -s) ($(SLURM_CONF="$conf" sinfo -h -o '%c CPUs, %m MB'))"
    ;;
  status)
    for daemon in munged slurmctld slurmd; do
      if running "$home/$daemon.pid" "$daemon"; then
        say "$daemon running (pid $(cat "$home/$daemon.pid"))"
      else
        say "$daemon not running from this script"
      fi
    done
    if running "$home/slurmctld.pid" slurmctld; then
      SLURM_CONF="$conf" sinfo -N -l || true
      SLURM_CONF="$conf" squeue || true
    fi
    ;;
  stop)
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$conf" ]; then
      rm -f /etc/slurm/slurm.conf
    fi
    ;;
  *)
    echo "usage: $0 start|status|stop" >&2
    exit 2
    ;;
esac
