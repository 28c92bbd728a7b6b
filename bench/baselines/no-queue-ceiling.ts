/**
 * B4, the no-queue ceiling: HTTP → in-memory batch → Kafka, answering 202 after Kafka's ack. Not
 * durable before Kafka (a crash loses what it holds), but the upper bound of any design that puts
 * a queue in the middle. Uses the worker's producer (acks=all, one request in flight) with the
 * client commitlog's workers use in the same run (KAFKA_CLIENT, else the default), so that the
 * ceiling has the same Kafka client as commitlog, and gathers what arrived while a
 * request was in flight into the next one.
 * Usage: node bench/baselines/no-queue-ceiling.ts   (env BENCH_SECRET, KAFKA_BROKERS)
 */
import { routeFor, toKafkaRecord, type KafkaRecord } from '@commitlog/core';
import { createRecordProducer } from '@commitlog/kafka';
import { loadWorkerConfig } from '@commitlog/runtime';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptCommit, benchSecrets, report } from './accept-commit.ts';
import { readBody } from './read-body.ts';
import { sendJson } from './send-json.ts';

const secrets = benchSecrets();
// The client commitlog's workers run in this benchmark: KAFKA_CLIENT when the run sets it (the
// systems under test inherit it), else the worker's default.
const client = process.env.KAFKA_CLIENT?.trim();
const kafkaClient = loadWorkerConfig(client ? { KAFKA_CLIENT: client } : {}).kafkaClient;
const producer = await createRecordProducer(kafkaClient, {
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'bench-b4',
});

interface Waiting {
  record: KafkaRecord;
  done: (ok: boolean) => void;
}
const pending: Waiting[] = [];
let sending = false;

async function pump(): Promise<void> {
  sending = true;
  while (pending.length > 0) {
    const batch = pending.splice(0, 1000);
    try {
      await producer.send(batch.map((w) => w.record));
      for (const w of batch) w.done(true);
    } catch {
      for (const w of batch) w.done(false);
    }
  }
  sending = false;
}

const server = createServer((req, res) => {
  readBody(req)
    .then((body) => {
      const signature = req.headers['x-commitlog-signature'];
      const accepted = acceptCommit(
        body,
        typeof signature === 'string' ? signature : undefined,
        secrets,
      );
      if (!accepted.ok) {
        sendJson(res, accepted.status, {});
        return;
      }
      const receivedAt = new Date().toISOString();
      const record = toKafkaRecord(
        accepted.commit,
        { id: accepted.id, receivedAt },
        routeFor(accepted.commit, []),
      );
      pending.push({
        record,
        done: (ok) =>
          sendJson(res, ok ? 202 : 503, { id: accepted.id, lane: accepted.lane, duplicate: false }),
      });
      if (!sending) void pump();
    })
    .catch(() => sendJson(res, 500, {}));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  report({ ready: true, port: (server.address() as AddressInfo).port }),
);
process.on('SIGTERM', () => {
  server.close();
  void producer.close().finally(() => process.exit(0));
});
