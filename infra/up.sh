#!/usr/bin/env bash
# infra/up.sh — bring up local dev/test services: Redis, then Kafka.
#
# Usage: infra/up.sh            (works from any cwd)
#   1. infra/redis/redis.sh up   (uses a Redis already answering at $REDIS_URL)
#   2. infra/kafka/kafka.sh up   unless KAFKA_BROKERS points somewhere other than
#      the local default (127.0.0.1:$KAFKA_PORT or localhost:$KAFKA_PORT,
#      KAFKA_PORT default 9092): then the configured brokers are used as they are.
# Environment: see infra/README.md (REDIS_URL, KAFKA_BROKERS, KAFKA_* ...).
# Exit code: the first failing script's exit code, else 0.
set -euo pipefail
INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=brokers.sh
. "$INFRA_DIR/brokers.sh"

bash "$INFRA_DIR/redis/redis.sh" up
if kafka_brokers_are_local; then
  bash "$INFRA_DIR/kafka/kafka.sh" up
else
  echo "kafka: KAFKA_BROKERS=$KAFKA_BROKERS is not the local default; using the configured brokers (no local broker started)"
fi
