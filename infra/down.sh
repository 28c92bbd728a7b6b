#!/usr/bin/env bash
# infra/down.sh — stop the local services started by infra/up.sh: Kafka, then Redis.
#
# Usage: infra/down.sh          (works from any cwd)
#   Each script stops only what it started itself (pid files in .data/), never
#   a foreign Redis or Kafka; then the brokers an interrupted test run left running
#   (its private ones, under $TMPDIR/commitlog-kafka-*). When KAFKA_BROKERS points somewhere other than the
#   local default, the local broker is left alone (as up.sh did not start it);
#   run infra/kafka/kafka.sh down to stop it anyway.
# Exit code: 0 when everything is stopped, else the first failure's exit code.
set -euo pipefail
INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=brokers.sh
. "$INFRA_DIR/brokers.sh"

rc=0
if kafka_brokers_are_local; then
  bash "$INFRA_DIR/kafka/kafka.sh" down || rc=$?
else
  echo "kafka: KAFKA_BROKERS=$KAFKA_BROKERS is not the local default; not touching a local broker"
fi
bash "$INFRA_DIR/redis/redis.sh" down || { r=$?; [[ $rc -ne 0 ]] || rc=$r; }

# Brokers the tests start for themselves (packages/testkit: private-kafka*.ts), left running when
# a test run was cut short (Ctrl-C, a crashed test worker): they run in a session of their own,
# so the terminal's signal never reaches them, and nothing else would ever stop them. Only this
# user's, and only once the test process that owns one (its owner.pid) is gone: a test run still
# going keeps its brokers. kafka.sh stops each only when it is the broker of that data folder.
shopt -s nullglob
for pidfile in "${TMPDIR:-/tmp}"/commitlog-kafka-*/kafka.pid \
  "${TMPDIR:-/tmp}"/commitlog-kafka-cluster-*/node-*/kafka.pid; do
  dir=$(dirname "$pidfile")
  owner_file="$dir/owner.pid"
  [[ -f "$owner_file" ]] || owner_file="$(dirname "$dir")/owner.pid"
  [[ -f "$owner_file" && -O "$owner_file" ]] || continue
  owner=$(tr -dc '0-9' <"$owner_file")
  if [[ -n "$owner" ]] && kill -0 "$owner" 2>/dev/null; then continue; fi
  echo "kafka: stopping a broker a test run left in $dir"
  KAFKA_DATA_DIR="$dir" bash "$INFRA_DIR/kafka/kafka.sh" down || { r=$?; [[ $rc -ne 0 ]] || rc=$r; }
done
exit "$rc"
