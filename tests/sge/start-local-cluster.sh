#!/usr/bin/env bash
# A single-node Grid Engine on this Debian host (Son of Grid Engine 8.1.9 from Debian's
# gridengine-* packages), for testing profiles/sge for real: sge_qmaster + sge_execd on
# this machine, accounting on (`qacct`), one queue, a shared-memory parallel environment
# and a consumable GPU resource (a counter; jobs get no real GPU), so that GPU requests
# are scheduled and accounted like on a GPU cluster.
#
# Run as root. Idempotent: installs what is missing (apt), (re)writes the configuration
# through `qconf` from complete specifications, starts only the daemons that are not
# running, and exits 0 once a plain and a GPU test job finished with exit status 0 in
# `qacct`. Ports: Grid Engine's own 6444/6445 (SLURM's test cluster uses 6817-6819).
#
# Settings (environment):
#   SGE_TEST_QUEUE  the one cluster queue          (default: attrobust.q)
#   SGE_TEST_PE     the parallel environment       (default: smp)
#   SGE_TEST_GPU    name of the GPU consumable     (default: gpu)
#   SGE_TEST_SLOTS  slots of the queue             (default: two per CPU: the workflow's
#                   jobs compute on one thread, and a GPU job's extra slots, for data
#                   loading on a real cluster, would otherwise leave CPUs idle here)
#   SGE_TEST_GPUS   GPUs the host offers           (default: one per CPU; 0 offers none)
set -euo pipefail

QUEUE=${SGE_TEST_QUEUE:-attrobust.q}
PE=${SGE_TEST_PE:-smp}
GPU=${SGE_TEST_GPU:-gpu}
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
LOG=/var/log/gridengine-test
TMP=$(mktemp -d /tmp/sge-local.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

say() { echo "[sge-local] $*"; }
die() { echo "[sge-local] ERROR: $*" >&2; exit 1; }

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

# Is the daemon whose pid file is $1 running?
# Is the daemon $2 whose pid file is $1 running? By the command name of the pid's process,
# not kill -0: a stale execd.pid held the id of a thread of a new sge_qmaster, and sge_execd
# then counted as running and was never started.
alive() { [ -s "$1" ] && [ "$(ps -p "$(cat "$1")" -o comm= 2>/dev/null)" = "$2" ]; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"
[ -f /etc/debian_version ] && command -v apt-get >/dev/null || die "needs Debian with apt-get"

HOST=$(hostname)
NCPU=$(nproc)
SLOTS=${SGE_TEST_SLOTS:-$((2 * NCPU))}
GPUS=${SGE_TEST_GPUS:-$NCPU}

# --- packages -------------------------------------------------------------------------
if [ ! -x /usr/sbin/sge_qmaster ] || [ ! -x /usr/sbin/sge_execd ] \
        || ! command -v qsub >/dev/null || ! command -v qacct >/dev/null; then
    say "installing gridengine-master gridengine-exec gridengine-client (apt)"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' own set-up: cell 'default', spool, manager (the master's name is
    # written below).
    debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string default
EOF
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends \
        gridengine-master gridengine-exec gridengine-client >/tmp/sge-local-apt.log 2>&1 \
        || { tail -20 /tmp/sge-local-apt.log >&2; die "apt-get install failed (log: /tmp/sge-local-apt.log)"; }
fi
[ -f "$COMMON/bootstrap" ] || die "$COMMON/bootstrap missing: the gridengine packages did not set up cell 'default'"
mkdir -p "$LOG"

# --- the master's name ------------------------------------------------------------------
# The host name resolves to 127.0.0.1 here; Grid Engine resolves that back to 'localhost'
# and rejects it unless host_aliases maps localhost to the host name.
changed=0
if [ "$(cat "$COMMON/act_qmaster" 2>/dev/null)" != "$HOST" ]; then
    echo "$HOST" > "$COMMON/act_qmaster"; changed=1
fi
if [ "$(cat "$COMMON/host_aliases" 2>/dev/null)" != "$HOST localhost" ]; then
    echo "$HOST localhost" > "$COMMON/host_aliases"; changed=1
fi
chown sgeadmin:sgeadmin "$COMMON/act_qmaster" "$COMMON/host_aliases"

QMASTER_PID=$SPOOL/qmaster/qmaster.pid
# sge_execd names its spool directory after the host name as it resolves locally
# ('localhost' here): any execd.pid under execd/ is this host's.
execd_alive() {
    local f
    for f in "$SPOOL"/execd/*/execd.pid; do alive "$f" sge_execd && return 0; done
    return 1
}
if [ "$changed" -eq 1 ] && alive "$QMASTER_PID" sge_qmaster; then
    say "master name changed: restarting sge_qmaster"
    qconf -km >/dev/null 2>&1 || kill "$(cat "$QMASTER_PID")"
    wait_for 30 bash -c "! kill -0 $(cat "$QMASTER_PID")" || die "sge_qmaster did not stop"
fi
if ! alive "$QMASTER_PID" sge_qmaster; then
    say "starting sge_qmaster"
    (cd / && /usr/sbin/sge_qmaster </dev/null >>"$LOG/qmaster.out" 2>&1)
fi
wait_for 60 qconf -sh || die "sge_qmaster does not answer (log: $SPOOL/qmaster/messages)"

# --- configuration (each from a complete specification) ---------------------------------
# Global: root may run jobs (the tests run as root); accounting flushed every second, so
# that `qacct` sees a job right after it ends.
qconf -sconf global > "$TMP/global.cur"
sed -e 's/^min_uid .*/min_uid                      0/' \
    -e 's/^min_gid .*/min_gid                      0/' \
    -e 's/^load_report_time .*/load_report_time             00:00:05/' \
    -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' \
    "$TMP/global.cur" | grep -v '^#' > "$TMP/global"
if ! diff -q <(grep -v '^#' "$TMP/global.cur") "$TMP/global" >/dev/null; then
    qconf -Mconf "$TMP/global" >/dev/null || die "qconf -Mconf global failed"
fi

# Scheduler: dispatch within a second of a submission or a job's end.
qconf -ssconf > "$TMP/sched.cur"
sed -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
    -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
    "$TMP/sched.cur" > "$TMP/sched"
cmp -s "$TMP/sched.cur" "$TMP/sched" || qconf -Msconf "$TMP/sched" >/dev/null || die "qconf -Msconf failed"

# The GPU consumable: an integer per host, requested per job (-l gpu=1: consumable JOB,
# not per slot, so that a job with slots of a PE still takes one GPU), default 0.
if ! qconf -sc | awk -v g="$GPU" '$1 == g && $3 == "INT" && $6 == "JOB" {ok=1} END {exit !ok}'; then
    { qconf -sc | grep -v '^#' | awk -v g="$GPU" '$1 != g'; echo "$GPU $GPU INT <= YES JOB 0 0"; } > "$TMP/complex"
    qconf -Mc "$TMP/complex" >/dev/null || die "qconf -Mc (the '$GPU' consumable) failed"
fi

# This host submits and executes.
qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf -as "$HOST" >/dev/null || die "qconf -as failed"
cat > "$TMP/$HOST" <<EOF
hostname              $HOST
load_scaling          NONE
complex_values        $GPU=$GPUS
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
if qconf -sel 2>/dev/null | grep -qx "$HOST"; then
    qconf -se "$HOST" | grep -q "complex_values *$GPU=$GPUS\$" \
        || qconf -Me "$TMP/$HOST" >/dev/null || die "qconf -Me failed"
else
    qconf -Ae "$TMP/$HOST" >/dev/null || die "qconf -Ae failed"
fi

cat > "$TMP/$PE" <<EOF
pe_name            $PE
slots              9999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
if qconf -spl 2>/dev/null | grep -qx "$PE"; then
    diff -q <(qconf -sp "$PE" | tr -s ' ') <(tr -s ' ' < "$TMP/$PE") >/dev/null \
        || qconf -Mp "$TMP/$PE" >/dev/null || die "qconf -Mp failed"
else
    qconf -Ap "$TMP/$PE" >/dev/null || die "qconf -Ap failed"
fi

# The queue: Grid Engine's template (`qconf -sq`) with this host, its slots and the PE.
qconf -sq | sed -e "s/^qname .*/qname                 $QUEUE/" \
    -e "s/^hostlist .*/hostlist              $HOST/" \
    -e "s/^pe_list .*/pe_list               $PE/" \
    -e "s/^slots .*/slots                 $SLOTS/" \
    -e "s/^shell .*/shell                 \/bin\/bash/" \
    -e "s/^load_thresholds .*/load_thresholds       NONE/" > "$TMP/$QUEUE"
if qconf -sql 2>/dev/null | grep -qx "$QUEUE"; then
    qconf -sq "$QUEUE" | diff -q - "$TMP/$QUEUE" >/dev/null \
        || qconf -Mq "$TMP/$QUEUE" >/dev/null || die "qconf -Mq failed"
else
    qconf -Aq "$TMP/$QUEUE" >/dev/null || die "qconf -Aq failed"
fi

# --- sge_execd --------------------------------------------------------------------------
if ! execd_alive; then
    say "starting sge_execd"
    (cd / && /usr/sbin/sge_execd </dev/null >>"$LOG/execd.out" 2>&1)
fi
queue_ok() { qstat -f -q "$QUEUE@$HOST" | awk -v q="$QUEUE@$HOST" '$1 == q && NF == 5 {ok=1} END {exit !ok}'; }
wait_for 60 queue_ok || {
    qmod -c "$QUEUE@$HOST" >/dev/null 2>&1 || true
    wait_for 20 queue_ok || die "queue $QUEUE@$HOST is not ready: $(qstat -f -q "$QUEUE" | tail -2) (log: $SPOOL/execd/*/messages)"
}
say "$(qstat -f -q "$QUEUE" | awk -v q="$QUEUE@$HOST" '$1 == q')"

# --- checks: a plain job and a GPU job finish with exit status 0 in qacct --------------
check_job() {  # name, qsub options...
    local name=$1; shift
    local id status
    id=$(qsub -terse -sync y -b y -o /dev/null -j y -q "$QUEUE" -N "$name" -l h_rt=120 "$@" true \
        | head -1) || die "test job '$name' ($*) failed"
    for _ in $(seq 30); do
        status=$(qacct -j "$id" 2>/dev/null | awk '$1 == "exit_status" {print $2}' | tail -1)  || true
        [ -n "$status" ] && break
        sleep 1
    done
    [ "$status" = 0 ] || die "qacct says test job $id ('$name') has exit status '$status', not 0"
    say "test job $id ($name) finished, exit status 0, $(qacct -j "$id" | awk '$1 == "category" {$1 = ""; print}')"
}
check_job sge-local-cpu
if [ "$GPUS" -gt 0 ]; then
    check_job sge-local-gpu -l "$GPU=1" -pe "$PE" 1
fi
say "ready: queue '$QUEUE' ($SLOTS slots), parallel environment '$PE', GPU resource '$GPU' ($GPUS)"
