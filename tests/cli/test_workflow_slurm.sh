#!/usr/bin/env bash
# The Snakemake workflow through Slurm: a single-node cluster (munged, slurmctld and
# slurmd on loopback, on ports of their own, state in the test's scratch folder) is
# started here, the workflow runs with the profile in scripts/workflow/profiles/slurm,
# and the daemons are stopped on every exit path.
source "$(dirname "$0")/lib.sh"
SRC=${EMGKIT_SRC:?}
for cmd in snakemake munged slurmctld slurmd sbatch; do
  command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || { echo "$cmd is not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurmd must run as root"; exit 77; }
export PATH=$PATH:/usr/sbin

cluster=$TMP/slurm
mkdir -p "$cluster"/{state,spool,log,run}
stop_cluster() {  # stop the daemons and wait until they are gone
  local pidfile pids=()
  for pidfile in "$cluster"/run/{slurmd,slurmctld,munged}.pid; do
    [ -s "$pidfile" ] && pids+=("$(cat "$pidfile")")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "${pids[@]}" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -9 "${pids[@]}" 2>/dev/null
}
trap stop_cluster EXIT

# munge authenticates Slurm's messages: a key and a socket of this test's own.
head -c 1024 /dev/urandom >"$cluster/munge.key" && chmod 600 "$cluster/munge.key"
munged --force --socket="$cluster/run/munge.sock" --key-file="$cluster/munge.key" \
  --pid-file="$cluster/run/munged.pid" --log-file="$cluster/log/munged.log" \
  --seed-file="$cluster/run/munge.seed" || { fail "munged did not start"; finish; exit; }

port=$((20000 + RANDOM % 20000))
cat >"$cluster/slurm.conf" <<CONF
ClusterName=emgkit-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$cluster/run/munge.sock
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/run/slurmctld.pid
SlurmdPidFile=$cluster/run/slurmd.pid
SlurmctldLogFile=$cluster/log/slurmctld.log
SlurmdLogFile=$cluster/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=4096 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$cluster/slurm.conf
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" -N localhost ||
  { fail "slurm daemons did not start: $(tail -3 "$cluster"/log/*.log)"; finish; exit; }
for _ in $(seq 30); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %t | grep -q idle && pass || fail "the node never became idle: $(sinfo 2>&1)"

# Two recordings through the cluster.
printf 'file\tsubject\n%s\ts1\n%s\ts2\n' "$DATA/plux_opensignals/emg_bursts.h5" \
  "$DATA/physionet_emgdb/emg_healthy.hea" >"$TMP/sheet.tsv"
if snakemake -s "$SRC/scripts/workflow/Snakefile" --directory "$TMP/wf" \
    --profile "$SRC/scripts/workflow/profiles/slurm" --quiet all \
    --config "bin=$BIN" "inputs=$TMP/sheet.tsv" out=results >"$TMP/out" 2>"$TMP/err"; then
  pass
else
  fail "workflow through Slurm failed: $(tail -c 800 "$TMP/err")"
fi

# Every step ran as a Slurm job (2 recordings x 6 steps, the group table and the
# dataset), and the tables and the dataset are complete.
jobs=$(grep -c "sched: Allocate JobId" "$cluster/log/slurmctld.log")
[ "$jobs" -eq 14 ] && pass || fail "slurmctld allocated $jobs jobs, expected 14"
logs=$(find "$TMP/wf/.snakemake/log" -name 'slurm-*.out' | wc -l)
[ "$logs" -eq 14 ] && pass || fail "$logs Slurm job logs, expected 14"
bursts=$(awk -F'\t' -v f="$DATA/plux_opensignals/emg_bursts.h5" '$1 == f' "$TMP/wf/results/all/detect.tsv" | wc -l)
[ "$bursts" -eq 9 ] && pass || fail "emg_bursts.h5: $bursts segments through Slurm, expected 9"
features=$(tail -n +2 "$TMP/wf/results/all/features.tsv" | cut -f1 | sort -u | wc -l)
[ "$features" -eq 2 ] && pass || fail "features.tsv names $features recordings, expected 2"
/usr/bin/python3 -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r")
assert len(set(f["rows/file"].asstr()[()])) == 2' "$TMP/wf/results/all/dataset.h5" && pass ||
  fail "the dataset through Slurm has not rows of both recordings"
finish
