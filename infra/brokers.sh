# shellcheck shell=bash
# Sourced by infra/up.sh and infra/down.sh (not executable on its own).
#
# kafka_brokers_are_local: true when KAFKA_BROKERS is unset/empty, or when every
# entry of it (comma-separated, optional PLAINTEXT:// style prefix) is
# 127.0.0.1:$KAFKA_PORT or localhost:$KAFKA_PORT (KAFKA_PORT default 9092),
# i.e. the broker that infra/kafka/kafka.sh runs.
kafka_brokers_are_local() {
  local port=${KAFKA_PORT:-9092} entry
  [[ -n "${KAFKA_BROKERS:-}" ]] || return 0
  local IFS=,
  for entry in $KAFKA_BROKERS; do
    entry=${entry// /}
    entry=${entry#*://}
    [[ -z "$entry" ]] && continue
    case "$entry" in
      "127.0.0.1:$port" | "localhost:$port") ;;
      *) return 1 ;;
    esac
  done
  return 0
}
