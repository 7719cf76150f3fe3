#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the cluster test (tests/cluster/): munged, slurmctld and slurmd
# with every file (key, config, state, spool, logs, pids) inside one folder, nothing in /etc or /var.
#
#   scripts/slurm/local-cluster.sh start DIR   # prints "export SLURM_CONF=DIR/slurm.conf" once the node is idle
#   scripts/slurm/local-cluster.sh stop DIR    # stops the three daemons by their pid files
#
# Needs Debian's slurm-wlm and munge (scripts/setup.sh installs them) and root: slurmd runs jobs as their
# submitting user and munged must own its key. Exits 77 (with the reason on stderr) when it cannot run here,
# so a test can skip with that reason rather than fail or pass silently.
set -euo pipefail

skip() { echo "local-cluster: $*" >&2; exit 77; }

start() {
  local dir=$1
  for tool in munged slurmctld slurmd sbatch sinfo; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || skip "$tool is not installed (scripts/setup.sh installs slurm-wlm and munge)"
  done
  [ "$(id -u)" -eq 0 ] || skip "needs root (slurmd starts jobs as their user; munged must own its key)"
  mkdir -p "$dir"/{state,spool,log,run}
  dir=$(cd "$dir" && pwd)
  local host ctl_port node_port
  host=$(hostname -s)
  ctl_port=$(free_port)
  node_port=$(free_port "$ctl_port")

  # munge: a fresh key in the folder, its socket in the folder.
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge.key"
  /usr/sbin/munged --key-file="$dir/munge.key" --socket="$dir/run/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/run/munge.seed" --force

  cat >"$dir/slurm.conf" <<CONF
ClusterName=attnviz-test
SlurmctldHost=$host
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/run/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=attnviz Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -c -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "local-cluster: the node did not become idle in 30 s; logs in $dir/log" >&2
  stop "$dir"
  exit 1
}

# A TCP port nobody listens on (and not $1).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    [ "$port" != "${1:-}" ] || continue
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

stop() {
  local dir=$1 name pid
  for name in slurmd slurmctld munged; do
    [ -f "$dir/run/$name.pid" ] || continue
    pid=$(cat "$dir/run/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
