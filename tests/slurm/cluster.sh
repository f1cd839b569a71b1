#!/usr/bin/env bash
# A real single-node Slurm cluster for the tests, entirely under one folder and on loopback:
# munged, slurmctld, slurmd, two slurmrestd (a unix socket with rest_auth/local; TCP on 127.0.0.1
# with JWT) and an sshd that plays the login node (key-only, root, SLURM_CONF set for commands).
#
#   cluster.sh start DIR              bring everything up under DIR, wait until each part answers,
#                                     write DIR/env (KEY=value lines for clients), print where it is
#   cluster.sh stop DIR               cancel every job and wait for it, stop the recorded daemons,
#                                     then end any process of the cluster still left
#   cluster.sh status DIR             what runs (exit status 0 only when every daemon runs)
#   cluster.sh stop-daemon DIR NAME   stop one daemon (fault tests: slurmrestd or sshd away)
#   cluster.sh start-daemon DIR NAME  start it again on the same port and wait until it answers
#
# NAME is one of: munged slurmctld slurmd restd-unix restd-tcp sshd (also the start order).
# AIFB_TEST_SLURM_CPUS=N declares N CPUs on the node (default: nproc); slurmd is told to trust
# the configuration, so more jobs than cores can run at once.
#
# Layout of DIR: vars (names and free ports chosen at start, read by every command), env, munge/,
# slurm/ (slurm.conf, JWT key, state, spool), ssh/ (sshd and client configs, host and client keys,
# authorized_keys, known_hosts), pids/NAME.pid, logs/NAME.out (each daemon's stdout and stderr),
# logs/slurmctld.log and logs/slurmd.log (Slurm's own logs; slurmstepd writes there too), remote/
# (a working folder for jobs).
#
# Finding what belongs to the cluster, also after a daemon died: daemons run with DIR in their
# command line, in DIR, with AIFB_TEST_SLURM_DIR=DIR in a clean environment; a slurmstepd (which is
# reparented to PID 1 at once and rewrites its command line over its environment) still holds
# slurmd's log file in DIR open; job processes carry the cluster's unique name in
# SLURM_CLUSTER_NAME; sshd sessions descend from the sshd. Stop ends all of those, and only those.
set -euo pipefail

readonly DAEMONS=(munged slurmctld slurmd restd-unix restd-tcp sshd)
readonly REST_VERSION=v0.0.38
readonly START_TIMEOUT=${AIFB_TEST_SLURM_START_TIMEOUT:-30}
readonly JWT_LIFESPAN=86400

# Client commands here must use munge and this cluster's config whatever the caller exported.
for v in $(compgen -e); do
  [[ $v == SLURM_* ]] && unset "$v"
done

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

log() { echo "cluster.sh: $*" >&2; }

die() {
  log "$*"
  exit 1
}

now() { date +%s.%N; }

since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

# --- processes -------------------------------------------------------------------------------

# Prints the State letter of PID (R, S, Z, ...) or nothing when it is gone. Stopped daemons stay
# zombies for a while because PID 1 here reaps slowly, so kill -0 cannot tell "gone".
proc_state() {
  local line
  [[ -r /proc/$1/status ]] || return 0
  while read -r line 2>/dev/null; do
    if [[ $line == State:* ]]; then
      line=${line#State:}
      line=${line//[[:space:]]/}
      echo "${line:0:1}"
      return 0
    fi
  done 2>/dev/null <"/proc/$1/status" || true
}

alive() {
  local s
  s=$(proc_state "$1")
  [[ -n $s && $s != Z && $s != X ]]
}

# Sets CMDLINE to the command line of PID (arguments joined by spaces); no subshell, as the
# process scan below calls it for every process.
read_cmdline() {
  local -a argv=()
  CMDLINE=
  mapfile -d '' argv 2>/dev/null <"/proc/$1/cmdline" || return 0
  CMDLINE="${argv[*]}"
}

# A recorded pid is only signalled while its command line still names DIR: pids get reused.
ours() {
  read_cmdline "$1"
  [[ $CMDLINE == *"$D/"* ]]
}

pid_of() {
  local f="$D/pids/$1.pid"
  [[ -s $f ]] && cat "$f"
  return 0
}

# Sets PPID_OF and STATE_OF from /proc/PID/stat; fails when the process is gone.
read_stat() {
  local line rest
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${line##*) }
  read -r STATE_OF PPID_OF _ <<<"$rest"
}

# slurmstepd rewrites its command line over its environment (so the marker is lost there), but
# it keeps slurmd's log file open and slurmd's working folder, DIR.
is_cluster_stepd() {
  local links
  [[ $CMDLINE == slurmstepd* ]] || return 1
  links=$(readlink "/proc/$1/cwd" "/proc/$1/fd/"* 2>/dev/null) || true
  [[ $links == *"$D/"* || $links == *"$D"$'\n'* || $links == *"$D" ]]
}

# True when PID's environment carries the marker or the cluster's name.
has_cluster_env() {
  local -a env=()
  local e
  mapfile -d '' env 2>/dev/null <"/proc/$1/environ" || return 1
  for e in "${env[@]}"; do
    [[ $e == "AIFB_TEST_SLURM_DIR=$D" || $e == "SLURM_CLUSTER_NAME=$CLUSTER" ]] && return 0
  done
  return 1
}

# Prints "PID CMDLINE" for every live process of the cluster: its command line names DIR, or it is
# one of the cluster's slurmstepd, or its environment carries the marker or the cluster's name, or
# it descends from one of those. This
# script, its subshells (same command line) and its ancestors are left out.
cluster_procs() {
  local -A parent=() seed=() skip=()
  local p q hops self
  read_cmdline $$
  self=$CMDLINE
  p=$BASHPID
  while [[ -n $p && $p != 0 ]] && read_stat "$p"; do
    skip[$p]=1
    p=$PPID_OF
  done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ -n ${skip[$p]:-} ]] && continue
    read_stat "$p" || continue
    [[ $STATE_OF == Z || $STATE_OF == X || $PPID_OF == 2 || $p == 2 ]] && continue
    parent[$p]=$PPID_OF
    read_cmdline "$p"
    [[ $CMDLINE == "$self" ]] && continue
    if [[ $CMDLINE == *"$D/"* ]] || is_cluster_stepd "$p" || has_cluster_env "$p"; then
      seed[$p]=1
    fi
  done
  for p in "${!parent[@]}"; do
    q=$p
    hops=0
    while [[ -n $q && $q != 0 && $q != 1 && hops -lt 64 ]]; do
      if [[ -n ${seed[$q]:-} ]]; then
        read_cmdline "$p"
        echo "$p $CMDLINE"
        break
      fi
      q=${parent[$q]:-}
      hops=$((hops + 1))
    done
  done
}

# Runs one daemon in its own session (so a Ctrl-C aimed at the caller does not take it down in a
# random order) with a clean environment carrying the marker; stdin closed, output to its log.
# setsid does not fork here (a background child of a script is no group leader), so $! is the
# daemon's own pid.
launch() {
  local name=$1
  shift
  (
    cd "$D"
    exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      AIFB_TEST_SLURM_DIR="$D" SLURM_CONF="$D/slurm/slurm.conf" "${EXTRA_ENV[@]}" \
      setsid "$@" </dev/null >>"$D/logs/$name.out" 2>&1
  ) &
  echo $! >"$D/pids/$name.pid"
}

# NAME.out is what the daemon wrote to stdout and stderr (the whole log of munged, slurmrestd and
# sshd); slurmctld and slurmd write their log to NAME.log once they have read their config.
log_tail() {
  local f
  for f in "$D/logs/$1.out" "$D/logs/$1.log"; do
    [[ -s $f ]] || continue
    echo "--- last lines of $f:" >&2
    tail -n 25 "$f" >&2
  done
}

# Polls CHECK until it succeeds; fails with the daemon's log tail when the daemon exits or the
# time runs out.
wait_ready() {
  local name=$1 what=$2 check=$3 deadline pid
  deadline=$(($(date +%s) + START_TIMEOUT))
  pid=$(pid_of "$name")
  while ! "$check" 2>/dev/null; do
    if ! alive "$pid"; then
      log "$name (pid $pid) exited while starting; waited for: $what"
      log_tail "$name"
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      log "$name (pid $pid) not ready after ${START_TIMEOUT}s; waited for: $what"
      log_tail "$name"
      return 1
    fi
    sleep 0.1
  done
}

# Sends TERM, waits until the process is gone or a zombie, then KILL as a last resort.
stop_pid() {
  local name=$1 pid=$2 i
  alive "$pid" && ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "$name (pid $pid) still runs after SIGKILL"
  return 1
}

# --- configuration ---------------------------------------------------------------------------

free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

write_vars() {
  local ports
  read -r -a ports <<<"$(free_ports 4)"
  cat >"$D/vars" <<EOF
NODE=$(hostname -s)
CLUSTER=aifb$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
PARTITION=debug
CTLD_PORT=${ports[0]}
SLURMD_PORT=${ports[1]}
REST_PORT=${ports[2]}
SSH_PORT=${ports[3]}
EOF
}

load_vars() {
  [[ -f $D/vars ]] || die "no cluster was started in $D (no $D/vars)"
  # shellcheck source=/dev/null
  source "$D/vars"
  export SLURM_CONF=$D/slurm/slurm.conf
}

write_munge_key() {
  head -c 1024 /dev/urandom >"$D/munge/munge.key"
  chmod 0400 "$D/munge/munge.key"
}

write_slurm_conf() {
  local mem cpus
  mem=$(free -m | awk '/^Mem:/ {print int($2 * 0.95)}')
  cpus=${AIFB_TEST_SLURM_CPUS:-$(nproc)}
  head -c 32 /dev/urandom >"$D/slurm/jwt.key"
  chmod 0600 "$D/slurm/jwt.key"
  cat >"$D/slurm/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: one node, everything under $D, traffic on 127.0.0.1.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.sock
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$D/slurm/jwt.key
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=sched_interval=2,batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=300
MailProg=/bin/true
StateSaveLocation=$D/slurm/state
SlurmdSpoolDir=$D/slurm/spool
SlurmctldPidFile=$D/slurm/slurmctld.pid
SlurmdPidFile=$D/slurm/slurmd.pid
SlurmctldLogFile=$D/logs/slurmctld.log
SlurmdLogFile=$D/logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

write_ssh_files() {
  local s=$D/ssh
  ssh-keygen -q -t ed25519 -N '' -C aifb-test-host -f "$s/host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C aifb-test-client -f "$s/client_ed25519"
  cp "$s/client_ed25519.pub" "$s/authorized_keys"
  # StrictModes no: an authorized_keys under a temporary folder would otherwise be refused.
  # SetEnv: remote commands get no login profile, and the Slurm clients need this config.
  # SHLVL=1: Debian's bash reads ~/.bashrc for `bash -c` under sshd only while SHLVL < 2, and
  # whatever this machine's root has there (version managers, banners) would cost seconds per
  # command and make the tests depend on it.
  cat >"$s/sshd_config" <<EOF
# Written by tests/slurm/cluster.sh: the login node of the test cluster.
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $s/host_ed25519_key
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PubkeyAuthentication yes
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxSessions 100
MaxStartups 100:30:200
SetEnv SLURM_CONF=$D/slurm/slurm.conf SHLVL=1
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  cat >"$s/ssh_config" <<EOF
# Written by tests/slurm/cluster.sh: ssh -F $s/ssh_config login COMMAND
Host login
  HostName 127.0.0.1
  Port $SSH_PORT
  User root
  IdentityFile $s/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
}

# AIFB_SLURM_REST_URL names the TCP slurmrestd, the one SLURM_JWT is for; the unix socket is in
# AIFB_TEST_SLURM_REST_UNIX.
write_env() {
  local jwt=$1
  {
    echo "# Written by tests/slurm/cluster.sh start: shell KEY=value lines for the clients."
    printf '%s=%q\n' \
      AIFB_TEST_SLURM_DIR "$D" \
      SLURM_CONF "$D/slurm/slurm.conf" \
      AIFB_TEST_SLURM_REST_UNIX "unix:$D/slurm/restd.sock" \
      AIFB_TEST_SLURM_REST_TCP "http://127.0.0.1:$REST_PORT" \
      AIFB_SLURM_REST_URL "http://127.0.0.1:$REST_PORT" \
      AIFB_TEST_SLURM_REST_VERSION "$REST_VERSION" \
      SLURM_JWT "$jwt" \
      AIFB_TEST_SLURM_JWT_KEY "$D/slurm/jwt.key" \
      AIFB_SLURM_USER root \
      AIFB_SLURM_PARTITION "$PARTITION" \
      AIFB_TEST_SLURM_NODE "$NODE" \
      AIFB_TEST_SLURM_CLUSTER "$CLUSTER" \
      AIFB_TEST_MUNGE_SOCKET "$D/munge/munge.sock" \
      SSH_HOST 127.0.0.1 \
      SSH_PORT "$SSH_PORT" \
      SSH_USER root \
      SSH_KEY_PATH "$D/ssh/client_ed25519" \
      SSH_KNOWN_HOSTS "$D/ssh/known_hosts" \
      AIFB_TEST_SSH_CONFIG "$D/ssh/ssh_config" \
      REMOTE_BASE_PATH "$D/remote"
  } >"$D/env.tmp"
  mv "$D/env.tmp" "$D/env"
}

# --- each daemon: how it starts and how it shows it is ready ----------------------------------

start_munged() {
  rm -f "$D/munge/munge.sock"
  launch munged munged -F --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" \
    --pid-file="$D/munge/munged.pid" --seed-file="$D/munge/munge.seed"
}
ready_munged() {
  munge -n --socket="$D/munge/munge.sock" | unmunge --socket="$D/munge/munge.sock" >/dev/null
}

start_slurmctld() { launch slurmctld slurmctld -D -i -f "$SLURM_CONF"; }
ready_slurmctld() { scontrol ping | grep -q 'is UP'; }

start_slurmd() { launch slurmd slurmd -D -f "$SLURM_CONF" -N "$NODE"; }
# Busy counts as ready too: start-daemon may bring slurmd back while jobs run.
ready_slurmd() { [[ $(sinfo -h -N -n "$NODE" -o %T) =~ ^(idle|mixed|allocated|completing)$ ]]; }

# slurmrestd loads the slurmdbd plugins unless told otherwise and then dies without slurmdbd; as
# root it only starts with the user check disabled.
start_restd-unix() {
  rm -f "$D/slurm/restd.sock"
  EXTRA_ENV=(SLURMRESTD_SECURITY=disable_user_check)
  launch restd-unix slurmrestd -f "$SLURM_CONF" -s "openapi/$REST_VERSION" -a rest_auth/local \
    "unix:$D/slurm/restd.sock"
  EXTRA_ENV=()
}
ready_restd-unix() {
  curl -sf -o /dev/null --max-time 5 --unix-socket "$D/slurm/restd.sock" http://localhost/openapi/v3
}

start_restd-tcp() {
  EXTRA_ENV=(SLURMRESTD_SECURITY=disable_user_check SLURM_JWT=daemon)
  launch restd-tcp slurmrestd -f "$SLURM_CONF" -s "openapi/$REST_VERSION" -a rest_auth/jwt \
    "127.0.0.1:$REST_PORT"
  EXTRA_ENV=()
}
ready_restd-tcp() {
  curl -sf -o /dev/null --max-time 5 -H "X-SLURM-USER-NAME: root" \
    -H "X-SLURM-USER-TOKEN: $(cat "$D/slurm/jwt.token")" \
    "http://127.0.0.1:$REST_PORT/slurm/$REST_VERSION/ping"
}

start_sshd() {
  mkdir -p /run/sshd # sshd's privilege separation folder; no init system made it here
  launch sshd /usr/sbin/sshd -D -e -f "$D/ssh/sshd_config"
}
ready_sshd() {
  if [[ ! -s $D/ssh/known_hosts ]]; then
    ssh-keyscan -T 2 -t ed25519 -p "$SSH_PORT" 127.0.0.1 >"$D/ssh/known_hosts.tmp" 2>/dev/null
    [[ -s $D/ssh/known_hosts.tmp ]] || return 1
    mv "$D/ssh/known_hosts.tmp" "$D/ssh/known_hosts"
  fi
  ssh -F "$D/ssh/ssh_config" login sinfo -h >/dev/null
}

readiness_of() {
  case $1 in
    munged) echo "a munge credential round trip on $D/munge/munge.sock" ;;
    slurmctld) echo "scontrol ping on port $CTLD_PORT" ;;
    slurmd) echo "node $NODE idle (or busy with jobs) in sinfo" ;;
    restd-unix) echo "GET /openapi/v3 on unix:$D/slurm/restd.sock" ;;
    restd-tcp) echo "GET /slurm/$REST_VERSION/ping with a JWT on 127.0.0.1:$REST_PORT" ;;
    sshd) echo "ssh root@127.0.0.1 -p $SSH_PORT sinfo with the client key" ;;
  esac
}

start_one() {
  local name=$1 pid
  pid=$(pid_of "$name")
  if [[ -n $pid ]] && alive "$pid" && ours "$pid"; then
    die "$name already runs (pid $pid)"
  fi
  "start_$name"
  wait_ready "$name" "$(readiness_of "$name")" "ready_$name"
}

mint_jwt() {
  local out
  out=$(scontrol token username=root lifespan=$JWT_LIFESPAN) || die "scontrol token failed: $out"
  echo "${out#SLURM_JWT=}" >"$D/slurm/jwt.token"
}

# --- commands --------------------------------------------------------------------------------

EXTRA_ENV=()

cmd_start() {
  local t0 t1 name took=""
  t0=$(now)
  [[ $(id -u) -eq 0 ]] || die "start needs root (SlurmUser=root, sshd, munged)"
  if [[ -f $D/vars ]]; then
    load_vars
    for name in "${DAEMONS[@]}"; do
      local pid
      pid=$(pid_of "$name")
      if [[ -n $pid ]] && alive "$pid" && ours "$pid"; then
        die "a cluster already runs in $D ($name, pid $pid): stop it first"
      fi
    done
  fi
  # A second start in the same DIR begins from scratch: new keys, ports and Slurm state.
  rm -rf "$D"/{munge,slurm,ssh,pids,logs} "$D/env" "$D/vars"
  mkdir -p "$D"/{munge,slurm/state,slurm/spool,ssh,pids,logs,remote}
  # munged insists that everyone may traverse its socket's folder; the key itself is 0400.
  chmod 0755 "$D" "$D/remote" "$D/munge"
  write_vars
  load_vars
  write_munge_key
  write_slurm_conf
  write_ssh_files
  # Whatever fails from here on, nothing started may stay behind.
  trap 'log "start failed; stopping what was started"; stop_all || true' EXIT
  for name in "${DAEMONS[@]}"; do
    t1=$(now)
    start_one "$name"
    [[ $name == slurmctld ]] && mint_jwt
    took+=" $name $(since "$t1")"
  done
  write_env "$(cat "$D/slurm/jwt.token")"
  trap - EXIT
  echo "slurm cluster $CLUSTER up in $(since "$t0") s under $D (clients: source $D/env)"
  echo "seconds to ready:$took"
}

# Cancels every job and waits until none is pending, running or completing, then until their
# slurmstepd are gone: slurmstepd outlives slurmd, so jobs must end before the daemons do. Without
# a running slurmctld and slurmd no job can end this way; the sweep that follows ends them.
cancel_jobs() {
  local ctld slurmd ids i
  ctld=$(pid_of slurmctld)
  slurmd=$(pid_of slurmd)
  [[ -n $ctld && -n $slurmd ]] && alive "$ctld" && alive "$slurmd" || return 0
  ids=$(squeue -h -o %A 2>/dev/null) || return 0
  [[ -n $ids ]] || return 0
  # shellcheck disable=SC2086
  scancel $ids 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
    sleep 0.1
  done
  if ((i == 300)); then
    log "jobs still listed 30 s after scancel: $(squeue -h -o '%A %T' | tr '\n' ' ')"
    return 0
  fi
  for ((i = 0; i < 50; i++)); do
    cluster_procs | grep -q ' slurmstepd' || return 0
    sleep 0.1
  done
}

# Waits up to SECONDS for cluster_procs to come back empty; leaves what is left in LEFT.
wait_no_procs() {
  local deadline
  deadline=$(($(date +%s%N) + $1 * 1000000000))
  while LEFT=$(cluster_procs) && [[ -n $LEFT ]]; do
    (($(date +%s%N) < deadline)) || return 1
    sleep 0.1
  done
}

# Ends what the cancelled jobs and stopped daemons left: job processes get SIGTERM first;
# slurmstepd gets SIGKILL at once, as it ignores SIGTERM while it cannot reach its slurmd.
sweep_leftovers() {
  local pid cmd
  LEFT=$(cluster_procs)
  [[ -n $LEFT ]] || return 0
  log "ending processes of the cluster still left:"
  echo "$LEFT" >&2
  while read -r pid cmd; do
    if [[ $cmd == slurmstepd* ]]; then
      kill -KILL "$pid" 2>/dev/null || true
    else
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done <<<"$LEFT"
  wait_no_procs 3 && return 0
  while read -r pid _; do kill -KILL "$pid" 2>/dev/null || true; done <<<"$LEFT"
  wait_no_procs 3 && return 0
  log "processes still running after SIGKILL:"
  echo "$LEFT" >&2
  return 1
}

stop_all() {
  local i name pid rc=0
  cancel_jobs
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${DAEMONS[i]}
    pid=$(pid_of "$name")
    [[ -n $pid ]] || continue
    stop_pid "$name" "$pid" || rc=1
    rm -f "$D/pids/$name.pid"
  done
  sweep_leftovers || rc=1
  return $rc
}

cmd_stop() {
  [[ -f $D/vars ]] || {
    log "nothing was started in $D"
    return 0
  }
  load_vars
  stop_all || die "stop left processes behind (see above)"
  echo "slurm cluster $CLUSTER under $D stopped"
}

cmd_status() {
  local name pid state all=0
  load_vars
  for name in "${DAEMONS[@]}"; do
    pid=$(pid_of "$name")
    state="not running"
    if [[ -n $pid ]] && alive "$pid" && ours "$pid"; then
      state="running (pid $pid)"
    elif [[ -n $pid && $(proc_state "$pid") == Z ]]; then
      state="exited (pid $pid, not yet reaped)"
      all=1
    else
      all=1
    fi
    printf '%-11s %s\n' "$name" "$state"
  done
  pid=$(pid_of slurmctld)
  if [[ -n $pid ]] && alive "$pid"; then
    printf '%-11s %s active\n' jobs "$(squeue -h -o %A 2>/dev/null | wc -l)"
  fi
  return $all
}

check_name() {
  local n
  for n in "${DAEMONS[@]}"; do [[ $n == "$1" ]] && return 0; done
  die "unknown daemon '$1' (one of: ${DAEMONS[*]})"
}

cmd_stop_daemon() {
  check_name "$1"
  load_vars
  stop_pid "$1" "$(pid_of "$1")" || die "could not stop $1"
  rm -f "$D/pids/$1.pid"
}

cmd_start_daemon() {
  check_name "$1"
  load_vars
  start_one "$1"
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  [[ $2 == /* ]] || die "DIR must be an absolute path, got '$2'"
  D=${2%/}
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    stop-daemon | start-daemon)
      (($# == 3)) || usage
      "cmd_${cmd//-/_}" "$3"
      ;;
    *) usage ;;
  esac
}

main "$@"
