#!/usr/bin/env bash
# A single-node SLURM cluster on this Debian host, for testing profiles/slurm for real:
# slurmctld + slurmd on this machine, accounting through slurmdbd into MariaDB (the SLURM
# executor asks `sacct` for job states), one account and partition, and a declared GPU
# (a generic resource without a device file), so that GPU requests are scheduled and
# accounted like on a GPU cluster; jobs get CUDA_VISIBLE_DEVICES but no real GPU.
#
# Run as root. Idempotent: installs what is missing (apt), rewrites the configs, restarts
# only the daemons whose config changed or that are not running, and exits 0 once
# `sinfo` shows the node idle and test jobs (plain and GPU) completed in `sacct`.
#
# Settings (environment):
#   SLURM_TEST_CLUSTER    cluster name            (default: attrobust)
#   SLURM_TEST_ACCOUNT    account for root's jobs (default: attrobust)
#   SLURM_TEST_PARTITION  the one partition       (default: main)
#   SLURM_TEST_GPUS       GPUs the node declares  (default: one per CPU, so that GPU jobs
#                         of one CPU each fill the node; 0 declares none)
set -euo pipefail

CLUSTER=${SLURM_TEST_CLUSTER:-attrobust}
ACCOUNT=${SLURM_TEST_ACCOUNT:-attrobust}
PARTITION=${SLURM_TEST_PARTITION:-main}
GPUS=${SLURM_TEST_GPUS:-}
DB_PASS=attrobust-slurmdbd   # local test database only, reachable through the socket
ETC=/etc/slurm
LOG=/var/log/slurm
STATE=/var/lib/slurm

say() { echo "[slurm-local] $*"; }
die() { echo "[slurm-local] ERROR: $*" >&2; exit 1; }

# Wait up to $1 seconds for the command "${@:2}" to succeed.
wait_for() {
    local timeout=$1; shift
    local t=0
    until "$@" >/dev/null 2>&1; do
        t=$((t + 1))
        [ "$t" -le "$timeout" ] || return 1
        sleep 1
    done
}

# Is the daemon whose pid file is $1 (/run/<daemon>.pid) running? By the command name of the
# pid's process, not kill -0: a stale pid file's pid may since belong to another process or
# thread (it did: a daemon then counted as running and was never started).
alive() {
    [ -s "$1" ] || return 1
    [ "$(ps -p "$(cat "$1")" -o comm= 2>/dev/null)" = "$(basename "$1" .pid)" ]
}

# Stop the daemon whose pid file is $1 (a daemon this script started), by its pid.
stop() {
    if alive "$1"; then
        local pid; pid=$(cat "$1")
        kill "$pid"
        wait_for 30 bash -c "! kill -0 $pid" || die "pid $pid (from $1) did not stop"
    fi
    rm -f "$1"
}

# Write $2 (content) to file $1 with mode $3; return 0 when the content changed.
write_if_changed() {
    local file=$1 content=$2 mode=$3
    if [ -f "$file" ] && [ "$(cat "$file")" == "$content" ]; then
        return 1
    fi
    printf '%s\n' "$content" > "$file"
    chmod "$mode" "$file"
    return 0
}

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"
[ -f /etc/debian_version ] && command -v apt-get >/dev/null || die "needs Debian with apt-get"

# --- packages -------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v slurmdbd >/dev/null || ! command -v sacct >/dev/null \
        || ! command -v munged >/dev/null || ! command -v mariadbd >/dev/null; then
    say "installing slurm-wlm slurmdbd munge mariadb-server (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends \
        slurm-wlm slurm-client slurmdbd munge mariadb-server >/tmp/slurm-local-apt.log 2>&1 \
        || { tail -20 /tmp/slurm-local-apt.log >&2; die "apt-get install failed (log: /tmp/slurm-local-apt.log)"; }
fi
say "$(slurmctld -V)"

HOST=$(hostname -s)
# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), minus the uptime.
NODE_HW=$(slurmd -C | awk '/^NodeName=/ { $1 = ""; for (i = 2; i <= NF; i++) if ($i !~ /^UpTime=/) printf "%s ", $i }')
case "$NODE_HW" in *CPUs=*RealMemory=*) ;; *) die "could not read the node's CPUs/RealMemory from 'slurmd -C'" ;; esac
[ -n "$GPUS" ] || GPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$NODE_HW")
say "node $HOST: ${NODE_HW}GPUs=$GPUS (declared)"

mkdir -p "$ETC" "$LOG" "$STATE/slurmctld" "$STATE/slurmd" /run/munge /run/mysqld
chown slurm:slurm "$LOG" "$STATE/slurmctld"
chown munge:munge /run/munge
chown mysql:mysql /run/mysqld

# --- munge (authentication between the daemons and the clients) -------------------------
[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile /etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
    wait_for 20 bash -c "munge -n | unmunge" || die "munged does not answer"
fi

# --- MariaDB (the accounting database behind slurmdbd) ---------------------------------
if ! mysqladmin ping --silent >/dev/null 2>&1; then
    say "starting mariadbd"
    (cd / && exec setsid /usr/sbin/mariadbd --user=mysql </dev/null >>"$LOG/mariadbd.log" 2>&1 &)
    wait_for 60 mysqladmin ping --silent || die "mariadbd did not start (log: $LOG/mariadbd.log)"
fi
mysql -u root <<SQL || die "could not create the slurm database user"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

# --- configs ----------------------------------------------------------------------------
GRES_LINE=""
GRES_TYPES=""
GRES_CONF="# no generic resources"
if [ "$GPUS" -gt 0 ]; then
    # slurmd drops a GPU without a device file; stand-ins: character devices like
    # /dev/null (a plain file if mknod is not allowed; slurmd then logs an error but counts it).
    FAKE=$STATE/fake-gpu
    mkdir -p "$FAKE"
    for i in $(seq 0 $((GPUS - 1))); do
        [ -e "$FAKE/nvidia$i" ] || mknod -m 666 "$FAKE/nvidia$i" c 1 3 2>/dev/null || touch "$FAKE/nvidia$i"
    done
    GRES_LINE="Gres=gpu:$GPUS"
    GRES_TYPES="GresTypes=gpu"
    GRES_CONF="AutoDetect=off
NodeName=$HOST Name=gpu File=$FAKE/nvidia[0-$((GPUS - 1))]"
fi

SLURMDBD_CONF="# Written by tests/slurm/start-local-cluster.sh
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
LogFile=$LOG/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db"

SLURM_CONF="# Written by tests/slurm/start-local-cluster.sh: one node, this host.
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
# No cgroups in containers: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# CPUs, memory and GPUs are consumable, as on a shared cluster.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
$GRES_TYPES
# Accounting through slurmdbd: sacct works, jobs must name a known account.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
ReturnToService=2
MinJobAge=300
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
NodeName=$HOST NodeAddr=127.0.0.1 ${NODE_HW}$GRES_LINE State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP"

changed_dbd=0; changed_slurm=0
write_if_changed "$ETC/slurmdbd.conf" "$SLURMDBD_CONF" 600 && changed_dbd=1
chown slurm:slurm "$ETC/slurmdbd.conf"
write_if_changed "$ETC/slurm.conf" "$SLURM_CONF" 644 && changed_slurm=1
write_if_changed "$ETC/gres.conf" "$GRES_CONF" 644 && changed_slurm=1
# (cgroup.conf is not read with proctrack/linuxproc and task/none.)

# --- slurmdbd ---------------------------------------------------------------------------
if [ "$changed_dbd" -eq 1 ]; then stop /run/slurmdbd.pid; fi
if ! alive /run/slurmdbd.pid; then
    say "starting slurmdbd"
    slurmdbd </dev/null >/dev/null 2>&1
fi
wait_for 60 sacctmgr -n list cluster || die "slurmdbd does not answer (log: $LOG/slurmdbd.log)"

# The cluster, account and user (root, who runs the tests) in the accounting database.
sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER" \
    || sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster failed"
sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT" \
    || sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="attrobust tests" \
        Organization=attrobust >/dev/null || die "sacctmgr add account failed"
sacctmgr -n -P list assoc user=root account="$ACCOUNT" cluster="$CLUSTER" format=user | grep -qx root \
    || sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null \
    || die "sacctmgr add user failed"

# --- slurmctld and slurmd ---------------------------------------------------------------
if [ "$changed_slurm" -eq 1 ] || [ "$changed_dbd" -eq 1 ]; then
    stop /run/slurmd.pid
    stop /run/slurmctld.pid
fi
if ! alive /run/slurmctld.pid; then
    say "starting slurmctld"
    slurmctld </dev/null >/dev/null 2>&1
fi
wait_for 60 scontrol ping || die "slurmctld does not answer (log: $LOG/slurmctld.log)"
if ! alive /run/slurmd.pid; then
    say "starting slurmd"
    slurmd </dev/null >/dev/null 2>&1
fi

node_state() { sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1; }
for _ in $(seq 60); do
    case "$(node_state)" in
        idle|mixed|allocated) break ;;
        down*|drain*|fail*|inval*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 1
done
case "$(node_state)" in
    idle|mixed|allocated) ;;
    *) die "node $HOST is '$(node_state)', not idle (logs: $LOG/slurmctld.log, $LOG/slurmd.log)" ;;
esac
say "sinfo: $(sinfo -h -o '%P %a %D %T %N %G' | tr '\n' ' ')"

# --- checks: a plain job and a GPU job run, and sacct records them as COMPLETED ---------
check_job() {  # name, sbatch options...
    local name=$1; shift
    local id state
    id=$(sbatch --parsable --wait -A "$ACCOUNT" -p "$PARTITION" -J "$name" -t 2 --mem 100 \
        -o /dev/null "$@" --wrap true) || die "test job '$name' ($*) failed"
    for _ in $(seq 30); do
        state=$(sacct -n -X -P -j "$id" -o State 2>/dev/null | head -1)
        [ "$state" = COMPLETED ] && break
        sleep 1
    done
    [ "$state" = COMPLETED ] || die "sacct says test job $id ('$name') is '$state', not COMPLETED"
    say "test job $id ($name) COMPLETED, $(sacct -n -X -P -j "$id" -o AllocTRES)"
}
check_job slurm-local-cpu -c 1
if [ "$GPUS" -gt 0 ]; then
    check_job slurm-local-gpu --gpus=1
fi
say "ready: cluster '$CLUSTER', account '$ACCOUNT', partition '$PARTITION'"
