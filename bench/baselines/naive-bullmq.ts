/**
 * B5, naive BullMQ (what most people write): express → `queue.add` into one queue → 202; a
 * worker at concurrency 50 that sends each job to Kafka with its own `producer.send` (kafkajs
 * defaults, acks=-1). No lanes (no per-key order), no gathering, no batching.
 * Usage: node bench/baselines/naive-bullmq.ts server|worker
 *        (env BENCH_SECRET, REDIS_URL, KAFKA_BROKERS, BENCH_PREFIX)
 */
import { routeFor, toKafkaRecord } from '@commitlog/core';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Kafka, logLevel } from 'kafkajs';
import type { AddressInfo } from 'node:net';
import { acceptCommit, benchSecrets, report } from './accept-commit.ts';

const role = process.argv[2];
const prefix = process.env.BENCH_PREFIX ?? 'bench-b5';
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const redis = { host: redisUrl.hostname, port: Number(redisUrl.port) };

if (role === 'server') {
  const secrets = benchSecrets();
  const queue = new Queue('commits', { connection: redis, prefix });
  const app = express();
  app.post('/v1/commits', express.raw({ type: 'application/json', limit: '2mb' }), (req, res) => {
    const signature = req.get('x-commitlog-signature');
    const accepted = acceptCommit(req.body as Buffer, signature, secrets);
    if (!accepted.ok) {
      res.status(accepted.status).end();
      return;
    }
    queue
      .add(
        'commit',
        { commit: accepted.commit, id: accepted.id, receivedAt: new Date().toISOString() },
        { jobId: accepted.id },
      )
      .then(() => res.status(202).json({ id: accepted.id, lane: 0, duplicate: false }))
      .catch(() => res.status(503).end());
  });
  const server = app.listen(0, '127.0.0.1', () =>
    report({ ready: true, port: (server.address() as AddressInfo).port }),
  );
  server.keepAliveTimeout = 60_000;
  process.on('SIGTERM', () => {
    server.close();
    void queue.close().finally(() => process.exit(0));
  });
} else {
  const kafka = new Kafka({
    clientId: 'bench-b5',
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  const worker = new Worker(
    'commits',
    async (job) => {
      const data = job.data as {
        commit: Parameters<typeof toKafkaRecord>[0];
        id: string;
        receivedAt: string;
      };
      const record = toKafkaRecord(
        data.commit,
        { id: data.id, receivedAt: data.receivedAt },
        routeFor(data.commit, []),
      );
      const headers: Record<string, Buffer> = {};
      for (const [name, value] of Object.entries(record.headers))
        headers[name] = Buffer.from(value);
      await producer.send({
        topic: record.topic,
        acks: -1,
        messages: [
          {
            key: Buffer.from(record.key),
            value: record.value === null ? null : Buffer.from(record.value),
            headers,
          },
        ],
      });
    },
    { connection: { ...redis, maxRetriesPerRequest: null }, prefix, concurrency: 50 },
  );
  await worker.waitUntilReady();
  report({ ready: true });
  process.on('SIGTERM', () => {
    void worker
      .close()
      .then(() => producer.disconnect())
      .finally(() => process.exit(0));
  });
}
