#!/usr/bin/env bash
# infra/kafka/kafka.sh — a local, single-node Apache Kafka broker in KRaft mode,
# run from the real Kafka jars (Maven Central, fetched with mvn; no Docker).
#
# Usage: infra/kafka/kafka.sh <command>     (works from any cwd)
#   fetch        copy the Kafka jars into the cache (skipped when already cached)
#   up           fetch if needed, write config, format storage once, start the
#                broker+controller in the background and wait until it answers
#                a Kafka Metadata request. Idempotent.
#   down         stop the broker this script started (SIGTERM, then SIGKILL after
#                KAFKA_STOP_TIMEOUT seconds). Exit 0 when nothing was running.
#   status       print pid, ports, data dir, log, version, cache; exit 3 if not running
#   reset        down, then delete the data dir (fresh broker on the next `up`)
#   classpath    print the classpath ('<libs>/*') of the cached jars
#   cluster-id   print a new cluster id (what every node of one cluster is formatted with)
#   run CLASS [ARGS...]
#                run a Kafka main class with the cached jars, e.g.
#                run org.apache.kafka.tools.ProducerPerformance --topic t ...
#
# Environment (defaults):
#   KAFKA_VERSION          version from infra/kafka/pom.xml (<kafka.version>)
#   KAFKA_HOST             127.0.0.1
#   KAFKA_PORT             9092   broker (PLAINTEXT) listener, also advertised
#   KAFKA_ADVERTISED_PORT  $KAFKA_PORT  the port advertised to clients instead (a TCP proxy
#                                 in front of the broker, as the fault tests use)
#   KAFKA_CONTROLLER_PORT  9093   KRaft controller listener
#   KAFKA_AUTO_CREATE_TOPICS true  whether the broker creates a topic on first use
#   KAFKA_NODE_ID          1      this node's id (broker and controller)
#   KAFKA_QUORUM_VOTERS    <id>@<host>:<controller port>  every controller of the cluster, as
#                                 id@host:port,… (the same on every node of a multi-node cluster)
#   KAFKA_CLUSTER_ID       (generated once into the data dir) the id storage is formatted with;
#                                 every node of a cluster must be given the same one
#   KAFKA_REPLICATION_FACTOR 1    default.replication.factor and the internal topics' factor
#   KAFKA_MIN_INSYNC_REPLICAS 1   min.insync.replicas (and the transaction log's min ISR)
#   KAFKA_WAIT             1      `up` waits until the broker answers; 0 returns once it runs
#                                 (a node of a cluster cannot answer before a quorum of them runs)
#   KAFKA_STARTED_MARK     (empty) a file `up` writes the broker's pid to when that call started
#                                 it: two callers at once both find nothing running, and only the
#                                 one whose call started the broker is to stop it
#   KAFKA_DATA_DIR         <repo>/.data/kafka
#   KAFKA_HEAP_OPTS        -Xms256m -Xmx768m
#   KAFKA_JVM_PERFORMANCE_OPTS  G1 settings as in Kafka's kafka-run-class.sh
#   KAFKA_OPTS             extra JVM options (empty)
#   KAFKA_EXTRA_PROPERTIES a properties file appended to the generated server.properties (empty:
#                          none); a key set there overrides the template's (e.g. listeners, to
#                          add a SASL_SSL listener beside PLAINTEXT, which readiness probes use)
#   KAFKA_START_TIMEOUT    120    seconds `up` waits for the broker to answer
#   KAFKA_STOP_TIMEOUT     30     seconds `down` waits before SIGKILL
#   KAFKA_ALLOW_EXTERNAL   1      if the port is held by another process that
#                                 answers as a Kafka broker, `up` reports it and
#                                 exits 0; set to 0 to make that an error (exit 4)
#   COMMITLOG_CACHE_DIR    ${XDG_CACHE_HOME:-$HOME/.cache}/commitlog
#                          jars go to $COMMITLOG_CACHE_DIR/kafka-<version>/libs
#   JAVA_HOME / MVN        java and mvn to use (default: from PATH)
#
# Files in the data dir: server.properties (generated), cluster.id, kafka.pid,
#   kraft-logs/ (topic data + KRaft metadata log), logs/server.log (broker log),
#   logs/kafka.out (JVM stdout/stderr).
#
# Exit codes: 0 ok | 1 failure (fetch failed, broker died or timed out, ...)
#   2 usage error | 3 `status`: not running | 4 a port is taken by something else
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
POM="$SCRIPT_DIR/pom.xml"

pom_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1; }

KAFKA_VERSION=${KAFKA_VERSION:-$(pom_version)}
KAFKA_HOST=${KAFKA_HOST:-127.0.0.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_ADVERTISED_PORT=${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_AUTO_CREATE_TOPICS=${KAFKA_AUTO_CREATE_TOPICS:-true}
KAFKA_NODE_ID=${KAFKA_NODE_ID:-1}
KAFKA_QUORUM_VOTERS=${KAFKA_QUORUM_VOTERS:-$KAFKA_NODE_ID@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-}
KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-1}
KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-1}
KAFKA_WAIT=${KAFKA_WAIT:-1}
KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$REPO_ROOT/.data/kafka}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
KAFKA_JVM_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}
KAFKA_OPTS=${KAFKA_OPTS:-}
KAFKA_EXTRA_PROPERTIES=${KAFKA_EXTRA_PROPERTIES:-}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
KAFKA_ALLOW_EXTERNAL=${KAFKA_ALLOW_EXTERNAL:-1}
MVN=${MVN:-mvn}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

CACHE_ROOT=${COMMITLOG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/commitlog}
KAFKA_CACHE_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_CACHE_DIR/libs"
FETCH_MARKER="$KAFKA_CACHE_DIR/.fetch-complete"

# KAFKA_DATA_DIR may be relative: resolve it against the caller's cwd once.
case "$KAFKA_DATA_DIR" in /*) ;; *) KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR" ;; esac
# One spelling of the folder whatever the path it was reached by (a symlinked checkout, `./`):
# the broker is known as ours by the properties path on its command line.
DATA=$(realpath -m "$KAFKA_DATA_DIR")
PROPS="$DATA/server.properties"
PIDFILE="$DATA/kafka.pid"
CLUSTER_ID_FILE="$DATA/cluster.id"
DATA_MARKER="$DATA/.kafka-sh-data-dir"
LOG_DIRS="$DATA/kraft-logs"
LOGS="$DATA/logs"
SERVER_LOG="$LOGS/server.log"
OUT_LOG="$LOGS/kafka.out"

say() { printf 'kafka: %s\n' "$*"; }
err() { printf 'kafka: %s\n' "$*" >&2; }
die() { local code=$1; shift; err "$*"; exit "$code"; }

# The settings that reach sed (server.properties) and a shell (/dev/tcp): each must be what its
# name says, so that no value can carry a sed command or shell code in with it.
check_settings() {
  local host='[A-Za-z0-9._-]+' name value
  [[ "$KAFKA_HOST" =~ ^$host$ ]] || die 2 "KAFKA_HOST must be a host name or an IPv4 address (got \"$KAFKA_HOST\")"
  # Also every value that goes into shell arithmetic, which would run a part of it as code (and
  # read a leading 0 as octal).
  for name in KAFKA_PORT KAFKA_ADVERTISED_PORT KAFKA_CONTROLLER_PORT KAFKA_NODE_ID \
    KAFKA_REPLICATION_FACTOR KAFKA_MIN_INSYNC_REPLICAS KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT; do
    value=${!name}
    [[ "$value" =~ ^(0|[1-9][0-9]*)$ ]] || die 2 "$name must be a number (got \"$value\")"
  done
  [[ "$KAFKA_AUTO_CREATE_TOPICS" =~ ^(true|false)$ ]] ||
    die 2 "KAFKA_AUTO_CREATE_TOPICS must be true or false (got \"$KAFKA_AUTO_CREATE_TOPICS\")"
  [[ "$KAFKA_QUORUM_VOTERS" =~ ^[0-9]+@$host:[0-9]+(,[0-9]+@$host:[0-9]+)*$ ]] ||
    die 2 "KAFKA_QUORUM_VOTERS must be id@host:port,… (got \"$KAFKA_QUORUM_VOTERS\")"
  [[ "$DATA" != *[\|\&\\$'\n']* ]] || die 2 "KAFKA_DATA_DIR must not hold | & \\ or a newline"
}
check_settings

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01d' $((ms / 1000)) $(( (ms % 1000) / 100 )); }

# ---------------------------------------------------------------- jars

fetch_is_complete() {
  [[ -f "$FETCH_MARKER" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] || return 1
  # Refetch when the pom changed (e.g. a dependency was added).
  [[ "$(cat "$FETCH_MARKER")" == "$(fetch_stamp)" ]]
}
fetch_stamp() { echo "$KAFKA_VERSION $(sha256sum "$POM" | cut -d' ' -f1)"; }

fetch() {
  fetch_is_complete && return 0
  command -v "$MVN" >/dev/null || die 1 "mvn not found (needed to fetch the Kafka jars)"
  mkdir -p "$KAFKA_CACHE_DIR"
  exec 8>"$KAFKA_CACHE_DIR/.fetch.lock"
  if ! flock -n 8; then
    err "waiting for another fetch of the Kafka jars into $KAFKA_CACHE_DIR (lock $KAFKA_CACHE_DIR/.fetch.lock; up to 15 minutes) ..."
    flock -w 900 8 || die 1 "timed out waiting for another fetch of $KAFKA_CACHE_DIR"
  fi
  if fetch_is_complete; then exec 8>&-; return 0; fi   # another process did it meanwhile

  local t0 partial="$KAFKA_CACHE_DIR/libs.partial" mvn_log="$KAFKA_CACHE_DIR/fetch.log"
  t0=$(now_ms)
  err "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS ..."
  rm -rf "$partial" "$FETCH_MARKER"
  # -C: a jar whose checksum does not match is refused (Maven's default only warns, and -q
  # hides the warning). Bounded: Maven's own read time-out is half an hour a request.
  # --foreground keeps Maven in the terminal's process group, so that Ctrl-C stops it too, and
  # the locks (fds 8, 9) are closed for it: a Maven left running held them, and the next `up`
  # waited, silent, until its time-out.
  if ! timeout --foreground 600 "$MVN" -q -B -C -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
      -Daether.connector.requestTimeout=60000 \
      dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$partial" >"$mvn_log" 2>&1 8>&- 9>&-; then
    tail -n 40 "$mvn_log" >&2
    die 1 "mvn failed to fetch Kafka $KAFKA_VERSION (full output: $mvn_log)"
  fi
  local jar
  for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" \
             "kafka-clients-$KAFKA_VERSION.jar"; do
    [[ -f "$partial/$jar" ]] || die 1 "fetch incomplete: $jar missing in $partial"
  done
  ls "$partial"/slf4j-reload4j-*.jar >/dev/null 2>&1 || die 1 "fetch incomplete: no slf4j-reload4j binding"
  rm -rf "$LIBS"
  mv "$partial" "$LIBS"
  fetch_stamp >"$FETCH_MARKER"           # written last: marks a complete fetch
  exec 8>&-
  err "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $(elapsed "$t0")s"
}

need_java() {
  command -v "$JAVA" >/dev/null || die 1 "java not found (set JAVA_HOME or put java on PATH)"
}

# Run a Kafka tool class in the foreground with the cached jars.
run_tool() {
  "$JAVA" -Xmx512m -Dlog4j.configuration="file:$SCRIPT_DIR/tools-log4j.properties" \
    -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------- wire probes
# Tiny Kafka-protocol clients in pure bash (/dev/tcp), so that checking the
# broker costs milliseconds instead of a JVM start.

# kafka_rpc HOST PORT REQUEST(\x-escaped, incl. size prefix) -> response body as hex
kafka_rpc() {
  # shellcheck disable=SC2016  # the inner script expands its own $1..$3
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "$3" >&3
    size=$(dd bs=1 count=4 <&3 2>/dev/null | od -An -v -tx1 | tr -d " \n")
    [[ ${#size} -eq 8 ]] || exit 1
    size=$((16#$size))
    (( size > 0 && size < 65536 )) || exit 1
    dd bs=1 count="$size" <&3 2>/dev/null | od -An -v -tx1 | tr -d " \n"
  ' _ "$1" "$2" "$3" 2>/dev/null
}
# Request header v1: api_key, api_version, correlation_id, client_id "kafka.sh".
CLIENT_ID='\x00\x08kafka.sh'

# True when whatever listens on HOST:PORT speaks the Kafka protocol
# (ApiVersions v0, answered by every Kafka version).
answers_as_kafka() {
  local r
  r=$(kafka_rpc "$1" "$2" "\x00\x00\x00\x12\x00\x12\x00\x00\x00\x00\x00\x2a$CLIENT_ID") || return 1
  # correlation id echoed; error_code NONE (0) or UNSUPPORTED_VERSION (35)
  [[ "$r" == 0000002a0000* || "$r" == 0000002a0023* ]]
}

# True when the broker answers a Metadata v1 request (no topics) and lists
# this node (KAFKA_NODE_ID) at the advertised HOST:PORT, i.e. it has joined the
# cluster and serves. Brokers: [node_id int32, host string, port int32, rack nullable string].
broker_ready() {
  local r n i off id hostlen host port racklen
  r=$(kafka_rpc "$KAFKA_HOST" "$KAFKA_PORT" \
    "\x00\x00\x00\x16\x00\x03\x00\x01\x00\x00\x00\x2b$CLIENT_ID\x00\x00\x00\x00") || return 1
  [[ "$r" == 0000002b* ]] || return 1
  n=$((16#${r:8:8}))
  off=16
  for (( i = 0; i < n; i++ )); do
    id=$((16#${r:$off:8}))
    hostlen=$((16#${r:$((off + 8)):4}))
    # shellcheck disable=SC2001  # hex -> \xHH escapes needs a backreference
    host=$(printf '%b' "$(sed 's/../\\x&/g' <<<"${r:$((off + 12)):$((hostlen * 2))}")")
    off=$((off + 12 + hostlen * 2))
    port=$((16#${r:$off:8}))
    racklen=${r:$((off + 8)):4}
    off=$((off + 12))
    [[ "$racklen" == ffff ]] || off=$((off + 16#$racklen * 2))
    if [[ "$id" == "$KAFKA_NODE_ID" && "$host" == "$KAFKA_HOST" && "$port" == "$KAFKA_ADVERTISED_PORT" ]]; then
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------- processes

alive() {   # alive PID: exists and is not a zombie
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -n 's/^.*) \(.\).*/\1/p' 2>/dev/null <"/proc/$1/stat" || true)
  [[ "$state" != Z ]]
}

is_our_broker() {   # is_our_broker PID: a java running kafka.Kafka with our config
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ "$cmd" == *" kafka.Kafka $PROPS"* ]]
}

# Print the pid of the broker started for this data dir, if it runs.
# Cleans up a stale pid file; re-adopts a running broker whose pid file was lost.
find_pid() {
  local pid=""
  if [[ -f "$PIDFILE" ]]; then
    pid=$(tr -dc '0-9' <"$PIDFILE")
    if alive "$pid" && is_our_broker "$pid"; then echo "$pid"; return 0; fi
    err "removing stale pid file $PIDFILE (pid ${pid:-?} is not running kafka)"
    rm -f "$PIDFILE"
  fi
  local d
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    if is_our_broker "$pid" && alive "$pid"; then
      err "found a running broker for $DATA without pid file (pid $pid); re-adopting it"
      echo "$pid" >"$PIDFILE"
      echo "$pid"
      return 0
    fi
  done
  return 0
}

port_in_use() {   # port_in_use PORT
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$KAFKA_HOST" "$1" 2>/dev/null
  fi
}
port_owner() {    # port_owner PORT: human-readable description of the listener
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | sed 's/^/    /'
  fi
}

lock_data_dir() {
  mkdir -p "$DATA"
  exec 9>"$DATA/.lock"
  flock -w 300 9 || die 1 "another kafka.sh is busy with $DATA (lock $DATA/.lock)"
}

# Line count of server.log when this `up` started the broker, so that failure
# output shows this attempt's log lines rather than an earlier run's.
LOG_START_LINE=0
log_lines() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }

dump_logs() {
  local from=$((LOG_START_LINE + 1))
  (( $(log_lines "$SERVER_LOG") >= LOG_START_LINE )) || from=1   # log was rolled
  err "---- last 40 lines of $SERVER_LOG (this start) ----"
  tail -n "+$from" "$SERVER_LOG" 2>/dev/null | tail -n 40 >&2 || true
  # JVM stdout/stderr since the last start marker (JVM errors, crashes).
  if [[ -s "$OUT_LOG" ]]; then
    err "---- $OUT_LOG (JVM stdout/stderr, this start) ----"
    awk '/^==== .* kafka.sh up: / {buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' \
      "$OUT_LOG" | tail -n 20 >&2
  fi
  err "----"
}

# ---------------------------------------------------------------- up

write_config() {
  mkdir -p "$LOGS" "$LOG_DIRS"
  touch "$DATA_MARKER"
  local tmp="$PROPS.tmp"
  sed -e "s|@HOST@|$KAFKA_HOST|g" \
      -e "s|@PORT@|$KAFKA_PORT|g" \
      -e "s|@ADVERTISED_PORT@|$KAFKA_ADVERTISED_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@LOG_DIRS@|$LOG_DIRS|g" \
      -e "s|@AUTO_CREATE_TOPICS@|$KAFKA_AUTO_CREATE_TOPICS|g" \
      -e "s|@NODE_ID@|$KAFKA_NODE_ID|g" \
      -e "s|@QUORUM_VOTERS@|$KAFKA_QUORUM_VOTERS|g" \
      -e "s|@REPLICATION_FACTOR@|$KAFKA_REPLICATION_FACTOR|g" \
      -e "s|@MIN_INSYNC_REPLICAS@|$KAFKA_MIN_INSYNC_REPLICAS|g" \
      "$SCRIPT_DIR/server.properties.tmpl" >"$tmp"
  if [[ -n "$KAFKA_EXTRA_PROPERTIES" ]]; then
    [[ -r "$KAFKA_EXTRA_PROPERTIES" ]] || die 2 "KAFKA_EXTRA_PROPERTIES: cannot read $KAFKA_EXTRA_PROPERTIES"
    # Java's Properties keeps the last value of a repeated key: these win over the template's.
    { echo; echo "############################# KAFKA_EXTRA_PROPERTIES ($KAFKA_EXTRA_PROPERTIES)"
      cat "$KAFKA_EXTRA_PROPERTIES"; } >>"$tmp"
  fi
  mv "$tmp" "$PROPS"
}

# A cluster id as `kafka-storage.sh random-uuid` prints one (16 random bytes, base64url without
# padding, never starting with '-'), without a JVM start of its own for it: a fresh broker
# started three JVMs in a row (id, format, broker), and the id alone took about a second.
# A few tries: one in 64 starts with '-'; inside $(...) errexit is off, so a failing head or
# base64 gives an empty id, and an endless retry would hang `up` with no message.
new_cluster_id() {
  local id try
  for try in 1 2 3 4 5 6 7 8; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    if [[ ${#id} -eq 22 && $id != -* ]]; then
      echo "$id"
      return 0
    fi
  done
  die 1 "could not make a cluster id from /dev/urandom (head and base64 needed; last try: \"$id\")"
}

format_storage_once() {
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    local stored
    stored=$(sed -n 's/^cluster\.id=//p' "$LOG_DIRS/meta.properties")
    # Storage of another cluster than the one asked for (a node formatted again after the ids
    # file was lost): it would never join the others, and `up` would only time out.
    if [[ -n "$KAFKA_CLUSTER_ID" && -n "$stored" && "$stored" != "$KAFKA_CLUSTER_ID" ]]; then
      die 1 "the storage in $LOG_DIRS belongs to Kafka cluster $stored, but KAFKA_CLUSTER_ID is $KAFKA_CLUSTER_ID: this node would not join the others; set KAFKA_CLUSTER_ID=$stored, or remove $DATA (its topics with it)"
    fi
    if [[ ! -s "$CLUSTER_ID_FILE" ]]; then   # keep cluster.id in sync with the storage
      echo "$stored" >"$CLUSTER_ID_FILE"
    fi
    return 0
  fi
  local cid
  if [[ -n "$KAFKA_CLUSTER_ID" ]]; then
    cid=$KAFKA_CLUSTER_ID
    echo "$cid" >"$CLUSTER_ID_FILE"
  elif [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid=$(<"$CLUSTER_ID_FILE")
  else
    cid=$(new_cluster_id) || exit 1
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  say "formatting KRaft storage in $LOG_DIRS (cluster id $cid)"
  if ! run_tool kafka.tools.StorageTool format -t "$cid" -c "$PROPS" >>"$OUT_LOG" 2>&1; then
    tail -n 20 "$OUT_LOG" >&2
    die 1 "formatting storage failed (see $OUT_LOG)"
  fi
}

start_broker() {
  rm -f "$PIDFILE"
  echo "==== $(date '+%F %T') kafka.sh up: starting Kafka $KAFKA_VERSION ====" >>"$OUT_LOG"
  # setsid + nohup: the broker outlives this shell and its session. All output
  # goes to the log and every inherited fd above 2 is closed, so callers that
  # wait for our stdout/stderr (or another pipe) to close are not held up.
  # shellcheck disable=SC2086,SC2016  # *_OPTS are word-split on purpose; the inner script expands its own vars
  nohup setsid bash -c '
    pidfile=$1; shift
    for fd in /proc/$$/fd/*; do
      fd=${fd##*/}
      if (( fd > 2 )); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    echo $$ >"$pidfile"
    exec "$@"
  ' _ "$PIDFILE" \
    "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_OPTS \
    -Dkafka.logs.dir="$LOGS" \
    -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT_LOG" 2>&1 &
  for _ in $(seq 50); do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.1
  done
  [[ -s "$PIDFILE" ]] || { dump_logs; die 1 "broker did not write its pid file $PIDFILE"; }
  cat "$PIDFILE"
}

stop_pid() {   # stop_pid PID: SIGTERM, wait KAFKA_STOP_TIMEOUT s, then SIGKILL
  local pid=$1 t0 deadline
  t0=$(now_ms)
  deadline=$(( t0 + KAFKA_STOP_TIMEOUT * 1000 ))
  kill -TERM "$pid" 2>/dev/null || true
  printf 'kafka: stopping broker (pid %s) ' "$pid"
  # is_our_broker too: a pid that ended and was given to another process is not ours to kill.
  while alive "$pid" && is_our_broker "$pid" && (( $(now_ms) < deadline )); do printf '.'; sleep 0.5; done
  echo
  if alive "$pid" && is_our_broker "$pid"; then
    say "broker (pid $pid) did not shut down within ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.2; done
    alive "$pid" && die 1 "broker (pid $pid) survived SIGKILL"
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid) in $(elapsed "$t0")s"
}

# wait_ready PID T0 STARTED_BY_US
wait_ready() {
  local pid=$1 t0=$2 ours=$3 deadline last_note
  deadline=$(( t0 + KAFKA_START_TIMEOUT * 1000 ))
  last_note=$(now_ms)
  printf 'kafka: waiting for the broker on %s:%s to answer (timeout %ss) ' \
    "$KAFKA_HOST" "$KAFKA_PORT" "$KAFKA_START_TIMEOUT"
  while :; do
    if ! alive "$pid"; then
      echo
      rm -f "$PIDFILE"
      dump_logs
      die 1 "broker process (pid $pid) exited during startup"
    fi
    if broker_ready; then echo; return 0; fi
    if (( $(now_ms) >= deadline )); then
      echo
      dump_logs
      if [[ "$ours" == 1 ]]; then
        err "broker did not answer within ${KAFKA_START_TIMEOUT}s; stopping it"
        stop_pid "$pid" >&2
      fi
      die 1 "timed out after ${KAFKA_START_TIMEOUT}s waiting for Kafka on $KAFKA_HOST:$KAFKA_PORT"
    fi
    if (( $(now_ms) - last_note >= 10000 )); then
      printf ' %ss ' "$(elapsed "$t0")"
      last_note=$(now_ms)
    else
      printf '.'
    fi
    sleep 0.5
  done
}

up_line() {   # up_line PID T0
  echo "kafka $KAFKA_VERSION up on $KAFKA_HOST:$KAFKA_PORT (pid $1, data $DATA, log $SERVER_LOG) in $(elapsed "$2")s"
}

cmd_up() {
  local t0 pid
  t0=$(now_ms)
  need_java
  fetch
  lock_data_dir

  pid=$(find_pid)
  if [[ -n "$pid" ]]; then
    if broker_ready; then
      say "already running and answering on $KAFKA_HOST:$KAFKA_PORT (pid $pid, data $DATA, log $SERVER_LOG)"
      return 0
    fi
    say "broker (pid $pid) is running but not answering yet"
    wait_ready "$pid" "$t0" 0
    up_line "$pid" "$t0"
    return 0
  fi

  if port_in_use "$KAFKA_PORT"; then
    if answers_as_kafka "$KAFKA_HOST" "$KAFKA_PORT"; then
      if [[ "$KAFKA_ALLOW_EXTERNAL" == 1 ]]; then
        say "an external Kafka broker (not started by this script) already answers on $KAFKA_HOST:$KAFKA_PORT; using it"
        port_owner "$KAFKA_PORT"
        return 0
      fi
      port_owner "$KAFKA_PORT" >&2
      die 4 "an external Kafka broker already answers on $KAFKA_HOST:$KAFKA_PORT and KAFKA_ALLOW_EXTERNAL=0"
    fi
    err "port $KAFKA_PORT is already in use by something that is not a Kafka broker:"
    port_owner "$KAFKA_PORT" >&2
    die 4 "cannot start Kafka on $KAFKA_HOST:$KAFKA_PORT (set KAFKA_PORT to use another port: commitlog up and the tests then use 127.0.0.1:\$KAFKA_PORT unless KAFKA_BROKERS is set)"
  fi
  if port_in_use "$KAFKA_CONTROLLER_PORT"; then
    err "controller port $KAFKA_CONTROLLER_PORT is already in use:"
    port_owner "$KAFKA_CONTROLLER_PORT" >&2
    die 4 "cannot start the KRaft controller (set KAFKA_CONTROLLER_PORT to use another port)"
  fi

  write_config
  format_storage_once
  say "starting Kafka $KAFKA_VERSION (KRaft broker+controller, node $KAFKA_NODE_ID)"
  LOG_START_LINE=$(log_lines "$SERVER_LOG")
  pid=$(start_broker)
  if [[ -n "${KAFKA_STARTED_MARK:-}" ]]; then echo "$pid" >"$KAFKA_STARTED_MARK"; fi
  if [[ "$KAFKA_WAIT" == 0 ]]; then
    say "started (pid $pid); not waiting for it to answer (KAFKA_WAIT=0)"
    return 0
  fi
  wait_ready "$pid" "$t0" 1
  up_line "$pid" "$t0"
}

# ---------------------------------------------------------------- down / status / reset

cmd_down() {
  [[ -d "$DATA" ]] || { say "not running (no data dir $DATA)"; return 0; }
  lock_data_dir
  local pid
  pid=$(find_pid)
  if [[ -z "$pid" ]]; then
    say "not running (nothing to stop)"
    return 0
  fi
  stop_pid "$pid"
}

cmd_status() {
  local pid="" answering=no fetched=no
  [[ -d "$DATA" ]] && pid=$(find_pid)
  fetch_is_complete && fetched=yes
  if [[ -n "$pid" ]]; then
    broker_ready && answering=yes
    say "running (pid $pid), answering: $answering"
  else
    say "not running"
    if port_in_use "$KAFKA_PORT"; then
      echo "  note: port $KAFKA_PORT is held by another process (not started by kafka.sh for $DATA):"
      port_owner "$KAFKA_PORT"
    fi
  fi
  echo "  version:     $KAFKA_VERSION"
  echo "  broker:      $KAFKA_HOST:$KAFKA_PORT (PLAINTEXT)"
  echo "  controller:  $KAFKA_HOST:$KAFKA_CONTROLLER_PORT"
  echo "  data dir:    $DATA"
  echo "  cluster id:  $(cat "$CLUSTER_ID_FILE" 2>/dev/null || echo '(not formatted)')"
  echo "  log:         $SERVER_LOG"
  echo "  jars:        $LIBS (fetched: $fetched)"
  [[ -n "$pid" ]] || return 3
}

cmd_reset() {
  cmd_down
  [[ -e "$DATA" ]] || { say "data dir $DATA already absent"; return 0; }
  if [[ ! -f "$DATA_MARKER" ]] && [[ -n "$(find "$DATA" -mindepth 1 -maxdepth 1 ! -name .lock | head -n1)" ]]; then
    die 1 "refusing to delete $DATA: it was not created by kafka.sh (no $DATA_MARKER)"
  fi
  rm -rf "$DATA"
  say "deleted $DATA"
}

usage() { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

[[ -n "$KAFKA_VERSION" ]] || die 1 "could not read <kafka.version> from $POM"

case "${1:-}" in
  fetch)     fetch; say "Kafka $KAFKA_VERSION jars in $LIBS" ;;
  up|start)  cmd_up ;;
  down|stop) cmd_down ;;
  status)    cmd_status ;;
  reset)     cmd_reset ;;
  classpath) fetch; echo "$LIBS/*" ;;
  cluster-id) new_cluster_id ;;
  run)
    [[ $# -ge 2 ]] || { usage >&2; exit 2; }
    shift; need_java; fetch
    exec "$JAVA" -Dlog4j.configuration="file:$SCRIPT_DIR/tools-log4j.properties" -cp "$LIBS/*" "$@"
    ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
