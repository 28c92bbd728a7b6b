import { readLaneBacklogs, type RedisConnection } from '@commitlog/queue';
import { Counter, Gauge, Histogram, type Registry } from '@commitlog/runtime';
import type { DeliveryEvents } from './deliver-commit.ts';

export interface WorkerMetrics extends DeliveryEvents {
  stalled(lane: number): void;
}

/**
 * The worker's metrics. Backlog and oldest waiting age are read from Redis when Prometheus
 * scrapes, so they are true for the whole lane, whichever worker holds it.
 */
export function createWorkerMetrics(options: {
  registry: Registry;
  connection: RedisConnection;
  prefix: string;
  lanes: readonly number[];
}): WorkerMetrics {
  const registers = [options.registry];
  const delivered = new Counter({
    name: 'commitlog_delivered_total',
    help: 'Commits acknowledged by Kafka.',
    registers,
  });
  const failed = new Counter({
    name: 'commitlog_failed_total',
    help: 'Commits that failed for good, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const retries = new Counter({
    name: 'commitlog_retries_total',
    help: 'Failed delivery attempts that hold their lane and will be retried, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const stalled = new Counter({
    name: 'commitlog_stalled_total',
    help: 'Jobs whose worker died or stalled while holding them; moved back to their lane.',
    registers,
  });
  const latency = new Histogram({
    name: 'commitlog_commit_to_kafka_seconds',
    help: 'Time from the ingest accepting a commit to Kafka acknowledging its record.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers,
  });
  const backlog = new Gauge({
    name: 'commitlog_lane_backlog_commits',
    help: 'Commits waiting in each lane.',
    labelNames: ['lane'],
    registers,
    async collect() {
      const lanes = await readLaneBacklogs(options.connection, options.prefix, options.lanes);
      for (const l of lanes) {
        backlog.set({ lane: String(l.lane) }, l.waiting);
        oldest.set({ lane: String(l.lane) }, (l.oldestWaitingAgeMs ?? 0) / 1000);
      }
    },
  });
  const oldest = new Gauge({
    name: 'commitlog_lane_oldest_waiting_seconds',
    help: 'Age of the oldest waiting commit in each lane (0 when none wait).',
    labelNames: ['lane'],
    registers,
  });

  return {
    delivered(_lane, ms) {
      delivered.inc();
      latency.observe(ms / 1000);
    },
    retried(_lane, reason) {
      retries.inc({ reason });
    },
    failed(_lane, reason) {
      failed.inc({ reason });
    },
    stalled() {
      stalled.inc();
    },
  };
}
