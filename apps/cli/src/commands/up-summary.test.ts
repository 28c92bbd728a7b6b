import { describe, expect, it } from 'vitest';
import { readyLines, type UpSummary } from './up-summary.ts';

const local: UpSummary = {
  redisUrl: undefined,
  kafka: { brokers: ['127.0.0.1:9092'], clientId: 'commitlog-worker', ssl: false },
  roles: {
    ingest: {
      address: 'http://127.0.0.1:8080',
      opsAddress: 'http://127.0.0.1:8084',
      log: '/r/.data/logs/ingest.log',
    },
    worker: { address: 'http://127.0.0.1:8082', log: '/r/.data/logs/worker.log' },
    dashboard: { address: 'http://127.0.0.1:8081', log: '/r/.data/logs/dashboard.log' },
  },
  dashboardUsers: { configured: false, user: 'admin', passwordFile: '.data/admin-password' },
  secret: { configured: false, value: 'a'.repeat(64), file: '.data/ingest-secret' },
};

describe("commitlog up's ready lines", () => {
  it('name a command that stops the infrastructure on a fresh clone, without pnpm', () => {
    const last = readyLines(local).at(-1)!;
    expect(last).toBe(
      'ready: press Ctrl-C to stop ingest, worker and dashboard (bash infra/down.sh stops Redis and Kafka)',
    );
    expect(readyLines(local).join('\n')).not.toContain('pnpm');
  });

  it('say where the ingest answers commits, and where its probes and metrics', () => {
    expect(readyLines(local)).toContain(
      'ingest     http://127.0.0.1:8080  (probes and metrics on http://127.0.0.1:8084; log /r/.data/logs/ingest.log)',
    );
  });

  it('suggest a console consumer on the brokers the worker delivers to', () => {
    const lines = readyLines({
      ...local,
      kafka: { ...local.kafka, brokers: ['kafka-1.internal:9092', 'kafka-2.internal:9092'] },
    });
    expect(lines).toContain('kafka      kafka-1.internal:9092,kafka-2.internal:9092');
    const consumer = lines.find((line) => line.startsWith('then '))!;
    expect(consumer).toContain('--bootstrap-server kafka-1.internal:9092,kafka-2.internal:9092 ');
    expect(consumer).not.toContain('127.0.0.1:9092');
  });

  it('say when the brokers need TLS or SASL settings, and print no secret', () => {
    const lines = readyLines({
      ...local,
      redisUrl: 'redis://:redis-password@redis:6379',
      kafka: {
        ...local.kafka,
        brokers: ['kafka:9093'],
        ssl: true,
        sasl: { mechanism: 'plain', username: 'u', password: 'kafka-password' },
      },
      secret: { configured: true },
    });
    const text = lines.join('\n');
    expect(text).toContain('--consumer.config FILE');
    expect(text).toContain('redis      redis://:***@redis:6379');
    expect(text).not.toMatch(/redis-password|kafka-password/);
    expect(text).toContain('secret     from INGEST_SECRETS (not shown)');
  });
});
