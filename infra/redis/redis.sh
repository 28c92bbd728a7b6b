#!/usr/bin/env bash
# infra/redis/redis.sh — make sure a Redis answers at $REDIS_URL.
#
# Usage: infra/redis/redis.sh up|down|status     (works from any cwd)
#   up      if a Redis already answers PING at $REDIS_URL, use it (exit 0).
#           Otherwise start a local redis-server there (daemonized, AOF on:
#           --appendonly yes --appendfsync everysec --maxmemory 2gb --maxmemory-policy noeviction)
#           and wait until it answers PING.
#   down    stop the Redis this script started (pid file), never a foreign one.
#   status  say who answers at $REDIS_URL; exit 0 if something answers, 3 if not (also when
#           the Redis there refuses REDIS_URL's credentials, which it then says).
#   A rediss:// (TLS) or redis-cluster:// address is neither started nor checked here (exit 0):
#   each role checks it at start-up. No message shows the URL's password.
#
# Environment (defaults):
#   REDIS_URL            redis://127.0.0.1:6379   (redis://[[user]:password@]host[:port][/db][?password=…])
#   REDIS_DATA_DIR       <repo>/.data/redis       (AOF, RDB, redis.pid, redis.log)
#   REDIS_START_TIMEOUT  20   seconds to wait for PING after starting
#   REDIS_STOP_TIMEOUT   30   seconds to wait after SIGTERM before SIGKILL
#   REDIS_STARTED_MARK   (empty) a file `up` writes "started" to when that call started Redis
#                        (callers that stop only what they started read it)
#
# Exit codes: 0 ok | 1 failure | 2 usage | 3 `status`: nothing answers
#   4 the port is taken by something that does not answer PING
#   5 `up`: the Redis there refuses the credentials in REDIS_URL (NOAUTH, WRONGPASS): no
#     password is given where one is needed, or the user name or password is wrong
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)

REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-$REPO_ROOT/.data/redis}
REDIS_START_TIMEOUT=${REDIS_START_TIMEOUT:-20}
REDIS_STOP_TIMEOUT=${REDIS_STOP_TIMEOUT:-30}
case "$REDIS_DATA_DIR" in /*) ;; *) REDIS_DATA_DIR="$PWD/$REDIS_DATA_DIR" ;; esac
# One spelling of the folder whatever the path it was reached by (a symlinked checkout): the
# server runs in it, and our_pid compares it.
DATA=$(realpath -m "$REDIS_DATA_DIR")
for name in REDIS_START_TIMEOUT REDIS_STOP_TIMEOUT; do
  # Whole seconds: the value goes into shell arithmetic, which would run a part of it as code
  # (and read a leading 0 as octal).
  [[ "${!name}" =~ ^(0|[1-9][0-9]*)$ ]] || { printf 'redis: %s must be a whole number of seconds (got "%s")\n' "$name" "${!name}" >&2; exit 2; }
done
PIDFILE="$DATA/redis.pid"
LOG="$DATA/redis.log"

say() { printf 'redis: %s\n' "$*"; }
err() { printf 'redis: %s\n' "$*" >&2; }
die() { local code=$1; shift; err "$*"; exit "$code"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01d' $((ms / 1000)) $(( (ms % 1000) / 100 )); }

# REDIS_URL with its password masked, for every message: a URL's password must never be printed.
# The credentials end at the last @, whatever characters the password holds; the roles also take
# a password from the query string (?password=), masked too.
SHOWN_URL=$REDIS_URL
if [[ "$REDIS_URL" == *://*@* ]]; then
  shown_scheme=${REDIS_URL%%://*}; shown_rest=${REDIS_URL#*://}
  shown_creds=${shown_rest%@*}
  if [[ "$shown_creds" == *:* ]]; then
    SHOWN_URL="$shown_scheme://${shown_creds%%:*}:***@${shown_rest##*@}"
  fi
fi
SHOWN_URL=$(sed -E 's/([?&][Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]=)[^&#]*/\1***/g' <<<"$SHOWN_URL")

# A TLS (rediss://) or cluster (redis-cluster://) address is never local: nothing to start, and
# redis-cli here would not speak to it as the roles do. The roles check it themselves at start-up.
if [[ "$REDIS_URL" != redis://* ]]; then
  case "${1:-}" in
    up|start|status)
      say "REDIS_URL is $SHOWN_URL: not a local redis:// address, so redis.sh neither starts nor checks it (each role checks it at start-up)"
      exit 0 ;;
    down|stop)
      say "REDIS_URL is $SHOWN_URL: not one redis.sh starts; nothing to stop"
      exit 0 ;;
  esac
fi

# ---- parse REDIS_URL: scheme://[[user]:password@]host[:port][/db][?password=…], read as the
# roles read it (ioredis): percent-encoded parts decoded, a user without a colon is a user name.
# %XX decoded, nothing else (a backslash stays one); a query value also turns + into a space.
url_decode() { local v=${1//\\/\\\\}; printf '%b' "${v//%/\\x}"; }
rest=${REDIS_URL#*://}
PASSWORD=""
REDIS_USER=""
query=""
if [[ "$rest" == *\?* ]]; then query=${rest#*\?}; rest=${rest%%\?*}; fi
if [[ "$rest" == *@* ]]; then
  creds=${rest%@*}; rest=${rest##*@}
  if [[ "$creds" == *:* ]]; then
    REDIS_USER=$(url_decode "${creds%%:*}"); PASSWORD=$(url_decode "${creds#*:}")
  else
    REDIS_USER=$(url_decode "$creds")
  fi
fi
if [[ "&${query%%#*}" =~ \&[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]=([^&]*) ]]; then
  PASSWORD=$(url_decode "${BASH_REMATCH[1]//+/ }")
fi
rest=${rest%%/*}
HOST=${rest%:*}
PORT=6379
[[ "$rest" == *:* ]] && PORT=${rest##*:}
[[ -n "$HOST" ]] || HOST=127.0.0.1
[[ "$PORT" =~ ^[0-9]+$ ]] || die 1 "bad port in REDIS_URL: $SHOWN_URL"
# A host name or an IPv4 address, nothing else: HOST reaches a shell below (/dev/tcp), and a value
# such as 127.0.0.1$(cmd), which a URL parser takes, must never run there. (An IPv6 address never
# worked here: redis-cli, /dev/tcp and --bind would get it with its brackets.)
[[ "$HOST" =~ ^[A-Za-z0-9._-]+$ ]] ||
  die 1 "bad host in REDIS_URL: $SHOWN_URL (a host name or an IPv4 address)"
# redis-cli reads the password from the environment (keeps it off the command line)
if [[ -n "$PASSWORD" ]]; then export REDISCLI_AUTH="$PASSWORD"; fi
# An ACL user signs in with its name as well as its password.
USER_ARGS=()
if [[ -n "$REDIS_USER" && "$REDIS_USER" != default ]]; then USER_ARGS=(--user "$REDIS_USER"); fi

is_local() { [[ "$HOST" == 127.* || "$HOST" == localhost ]]; }

pong() { [[ "$(timeout 3 redis-cli -h "$HOST" -p "$PORT" "${USER_ARGS[@]}" ping 2>/dev/null)" == PONG ]]; }

# Why the Redis at $HOST:$PORT refuses REDIS_URL's credentials, or nothing (status 1) when it does
# not. redis-cli says a refused AUTH on stderr (WRONGPASS; ERR invalid password before Redis 6),
# and a PING without the password needed is answered NOAUTH. Neither the reply nor the password
# is repeated.
auth_refused() {
  local reply
  reply=$(timeout 3 redis-cli -h "$HOST" -p "$PORT" "${USER_ARGS[@]}" ping 2>&1 || true)
  case "$reply" in
    *WRONGPASS* | *"invalid password"* | *"invalid username-password"*)
      echo "the user name or password in REDIS_URL is wrong (WRONGPASS)" ;;
    *NOAUTH*)
      if [[ -n "$PASSWORD" ]]; then
        echo "the password in REDIS_URL is not accepted (NOAUTH)"
      else
        echo "it needs a password, and REDIS_URL gives none (NOAUTH)"
      fi ;;
    *) return 1 ;;
  esac
}

# The line for a Redis that refuses REDIS_URL's credentials. It answers, so it is neither to be
# started nor a port taken by something else.
refusal() { echo "the Redis on $HOST:$PORT refuses the credentials in REDIS_URL ($SHOWN_URL): $1"; }

port_in_use() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$PORT" 2>/dev/null; }

alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -n 's/^.*) \(.\).*/\1/p' 2>/dev/null <"/proc/$1/stat" || true)
  [[ "$state" != Z ]]
}

# Pid of the redis-server this script started for $DATA, if it still runs.
# is_ours PID: a redis-server running in $DATA (--dir). After a crash the pid may have gone to
# another redis-server (the machine's, a test's), which `down` must not stop.
is_ours() {
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true)
  alive "$1" && [[ "$cmd" == *redis-server* ]] &&
    [[ "$(readlink "/proc/$1/cwd" 2>/dev/null || true)" == "$DATA" ]]
}

our_pid() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid
  pid=$(tr -dc '0-9' <"$PIDFILE")
  if is_ours "$pid"; then
    echo "$pid"
  else
    err "removing stale pid file $PIDFILE (pid ${pid:-?} is not a redis-server running in $DATA)"
    rm -f "$PIDFILE"
  fi
}

# Two `up`s at once (`commitlog up` and the tests) must not both start a redis-server: with
# --daemonize, each call returns once its daemon forked, before it binds, so both would think they
# started Redis. The second waits here, then finds the first's answering. The daemon does not
# hold the lock: it is started with every inherited descriptor above 2 closed.
lock_data_dir() {
  mkdir -p "$DATA"
  exec 9>"$DATA/.lock"
  flock -w 60 9 || die 1 "another redis.sh is busy with $DATA (lock $DATA/.lock)"
}

cmd_up() {
  local t0 pid why
  t0=$(now_ms)
  lock_data_dir
  pid=$(our_pid)
  if pong; then
    if [[ -n "$pid" ]]; then
      say "already up on $HOST:$PORT (pid $pid, started by redis.sh, data $DATA)"
    else
      say "using the Redis already answering on $HOST:$PORT (not started by this script)"
    fi
    return 0
  fi
  if why=$(auth_refused); then die 5 "$(refusal "$why")"; fi
  if [[ -n "$pid" ]]; then
    err "our redis-server (pid $pid) runs but does not answer PING on $HOST:$PORT"
    tail -n 20 "$LOG" >&2 || true
    die 1 "run '$0 down' and retry"
  fi
  is_local || die 1 "nothing answers PING at $SHOWN_URL and $HOST is not local, so redis.sh cannot start one there"
  if port_in_use; then
    err "port $PORT on $HOST is taken by something that does not answer PING:"
    ss -Hltnp "sport = :$PORT" 2>/dev/null | awk '{print "    " $4, $6}' >&2 || true
    die 4 "cannot start Redis at $SHOWN_URL"
  fi
  command -v redis-server >/dev/null || die 1 "redis-server not found (apt-get install redis-server)"

  mkdir -p "$DATA"
  local args=(
    --bind "$HOST" --port "$PORT" --dir "$DATA"
    --appendonly yes --appendfsync everysec --maxmemory 2gb --maxmemory-policy noeviction
    --daemonize yes --pidfile "$PIDFILE" --logfile "$LOG"
  )
  # Password in a config file given on stdin, not on the command line.
  # Every inherited fd above 2 is closed so that callers waiting on pipes
  # are not held up by the daemon.
  # shellcheck disable=SC2016  # the inner script expands its own vars
  if ! REDIS_PASS="$PASSWORD" bash -c '
      for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if (( fd > 2 )); then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      if [[ -n "$REDIS_PASS" ]]; then
        # Every byte as \xHH inside the quotes, which Redis decodes: a quote, a backslash or a
        # newline in the password can neither end the directive nor add one of its own.
        hex=$(printf "%s" "$REDIS_PASS" | od -An -v -tx1 | tr -d " \n" | sed "s/../\\\\x&/g")
        printf "requirepass \"%s\"\n" "$hex" | exec redis-server - "$@"
      else
        exec redis-server "$@"
      fi
    ' _ "${args[@]}" </dev/null >>"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2 || true
    die 1 "redis-server failed to start (log $LOG)"
  fi
  if [[ -n "${REDIS_STARTED_MARK:-}" ]]; then echo started >"$REDIS_STARTED_MARK"; fi

  printf 'redis: waiting for PING on %s:%s ' "$HOST" "$PORT"
  local deadline=$(( t0 + REDIS_START_TIMEOUT * 1000 ))
  until pong; do
    if (( $(now_ms) >= deadline )); then
      echo
      tail -n 20 "$LOG" >&2 || true
      pid=$(our_pid)
      if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
      die 1 "Redis did not answer PING within ${REDIS_START_TIMEOUT}s (log $LOG)"
    fi
    printf '.'
    sleep 0.2
  done
  echo
  pid=$(our_pid)
  echo "redis up on $HOST:$PORT (pid ${pid:-?}, data $DATA, log $LOG, appendonly yes) in $(elapsed "$t0")s"
}

cmd_down() {
  local pid t0
  t0=$(now_ms)
  pid=$(our_pid)
  if [[ -z "$pid" ]]; then
    if pong; then
      say "no Redis started by redis.sh is running; leaving the one on $HOST:$PORT alone"
    else
      say "not running (nothing to stop)"
    fi
    return 0
  fi
  # SIGTERM makes redis-server flush the AOF and exit cleanly.
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( t0 + REDIS_STOP_TIMEOUT * 1000 ))
  # Still ours (redis-server in $DATA): a pid that ended and was given to another process is not.
  while is_ours "$pid" && (( $(now_ms) < deadline )); do sleep 0.2; done
  if is_ours "$pid"; then
    say "redis-server (pid $pid) did not stop within ${REDIS_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid) in $(elapsed "$t0")s"
}

cmd_status() {
  local pid why
  pid=$(our_pid)
  if pong; then
    if [[ -n "$pid" ]]; then
      say "up on $HOST:$PORT (pid $pid, started by redis.sh, data $DATA, log $LOG)"
    else
      say "up on $HOST:$PORT (not started by redis.sh)"
    fi
    return 0
  fi
  if why=$(auth_refused); then say "$(refusal "$why")"; return 3; fi
  say "nothing answers PING on $HOST:$PORT${pid:+ (our redis-server pid $pid runs but does not answer)}"
  return 3
}

case "${1:-}" in
  up|start)  cmd_up ;;
  down|stop) cmd_down ;;
  status)    cmd_status ;;
  *) sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
