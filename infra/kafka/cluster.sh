#!/usr/bin/env bash
# infra/kafka/cluster.sh — a local Apache Kafka cluster of KAFKA_CLUSTER_SIZE KRaft nodes (each a
# broker and a controller), run with kafka.sh from the same cached jars: replication factor 3 and
# min.insync.replicas 2 by default, as production runs it. No Docker.
#
# Usage: infra/kafka/cluster.sh <command>     (works from any cwd)
#   up            start every node (without waiting: a node answers only once a quorum of
#                 controllers runs), then wait until each answers. Idempotent. When a node
#                 fails to start or to answer, the nodes this `up` started are stopped again
#                 (those already running before it are left alone), and it exits non-zero.
#   down          stop every node; exit 1 when any of them failed to stop
#   status        kafka.sh status of every node
#   stop-node N   controlled shutdown of node N (1-based), the others go on
#   start-node N  start node N again and wait until it answers
#   brokers       print the bootstrap list host:port,… for KAFKA_BROKERS
#
# Environment (defaults):
#   KAFKA_CLUSTER_SIZE             3
#   KAFKA_CLUSTER_PORTS            19092,19093,19094   broker ports, one per node
#   KAFKA_CLUSTER_CONTROLLER_PORTS 19192,19193,19194   controller ports, one per node
#   KAFKA_CLUSTER_DATA_DIR         <repo>/.data/kafka-cluster   (node-N/ below it)
#   KAFKA_REPLICATION_FACTOR       3
#   KAFKA_MIN_INSYNC_REPLICAS      2
#   KAFKA_HEAP_OPTS                -Xms128m -Xmx512m   per node
# Any other kafka.sh variable (KAFKA_HOST, KAFKA_AUTO_CREATE_TOPICS, …) applies to every node.
# Exit codes: those of kafka.sh (`down`: 1 when a node failed to stop); 2 usage error.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
SIZE=${KAFKA_CLUSTER_SIZE:-3}
HOST=${KAFKA_HOST:-127.0.0.1}
DATA=${KAFKA_CLUSTER_DATA_DIR:-$REPO_ROOT/.data/kafka-cluster}
default_ports() { local base=$1 i out=(); for ((i = 0; i < SIZE; i++)); do out+=($((base + i))); done; (IFS=,; echo "${out[*]}"); }
IFS=, read -r -a PORTS <<<"${KAFKA_CLUSTER_PORTS:-$(default_ports 19092)}"
IFS=, read -r -a CONTROLLER_PORTS <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-$(default_ports 19192)}"
(( ${#PORTS[@]} == SIZE && ${#CONTROLLER_PORTS[@]} == SIZE )) || {
  echo "kafka-cluster: KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS need $SIZE ports each" >&2
  exit 2
}

voters() {
  local i out=()
  for ((i = 0; i < SIZE; i++)); do out+=("$((i + 1))@$HOST:${CONTROLLER_PORTS[$i]}"); done
  (IFS=,; echo "${out[*]}")
}

cluster_id() {   # one id for every node, kept beside them
  mkdir -p "$DATA"
  if [[ ! -s "$DATA/cluster.id" ]]; then
    bash "$SCRIPT_DIR/kafka.sh" cluster-id >"$DATA/cluster.id"
  fi
  cat "$DATA/cluster.id"
}

node() {   # node N COMMAND: kafka.sh COMMAND for node N
  local n=$1 i=$(($1 - 1))
  shift
  KAFKA_NODE_ID=$n KAFKA_HOST=$HOST KAFKA_PORT=${PORTS[$i]} \
    KAFKA_CONTROLLER_PORT=${CONTROLLER_PORTS[$i]} KAFKA_QUORUM_VOTERS=$(voters) \
    KAFKA_CLUSTER_ID=${CID:-} KAFKA_DATA_DIR="$DATA/node-$n" KAFKA_ALLOW_EXTERNAL=0 \
    KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-3} \
    KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-2} \
    KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} \
    bash "$SCRIPT_DIR/kafka.sh" "$@"
}

# Stops nodes N… at once (one by one, the last would wait for a quorum that is gone); returns 1
# when any of them failed to stop.
stop_nodes() {
  local n pid pids=() rc=0
  for n in "$@"; do node "$n" down & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

# The nodes this `up` started, to stop again when the cluster does not come up: left running,
# they would hold their ports and wait for a quorum that never forms.
STARTED=()
up_failed() {
  local rc=$1
  if (( ${#STARTED[@]} > 0 )); then
    echo "kafka-cluster: node $2 did not come up; stopping the nodes this up started: ${STARTED[*]}" >&2
    stop_nodes "${STARTED[@]}" >&2 || true
  fi
  exit "$rc"
}

node_number() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= SIZE )) || {
    echo "kafka-cluster: give a node number from 1 to $SIZE" >&2
    exit 2
  }
}

case "${1:-}" in
  up)
    CID=$(cluster_id)
    for ((n = 1; n <= SIZE; n++)); do
      running=0
      node "$n" status >/dev/null 2>&1 && running=1
      KAFKA_WAIT=0 node "$n" up || up_failed $? "$n"
      (( running )) || STARTED+=("$n")
    done
    for ((n = 1; n <= SIZE; n++)); do node "$n" up || up_failed $? "$n"; done
    echo "kafka-cluster: $SIZE nodes up; KAFKA_BROKERS=$("$0" brokers)"
    ;;
  down)
    all=()
    for ((n = 1; n <= SIZE; n++)); do all+=("$n"); done
    stop_nodes "${all[@]}"
    ;;
  status) for ((n = 1; n <= SIZE; n++)); do node "$n" status || true; done ;;
  stop-node) node_number "${2:-}"; node "$2" down ;;
  start-node) node_number "${2:-}"; CID=$(cluster_id); node "$2" up ;;
  brokers)
    out=()
    for p in "${PORTS[@]}"; do out+=("$HOST:$p"); done
    (IFS=,; echo "${out[*]}")
    ;;
  *)
    sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 2
    ;;
esac
