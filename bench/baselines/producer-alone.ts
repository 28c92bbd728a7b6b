/**
 * B3, Kafka alone: the project's producer (acks=all, one request in flight) sending batches of the
 * bench's records as fast as it can, for a while; prints records/s and per-batch ack latency.
 * Usage: node bench/baselines/producer-alone.ts <durationMs> <batch> <recordsFile> [kafkajs|platformatic]
 *        (env KAFKA_BROKERS); the file holds commits in wire form and the topic.
 */
import { routeFor, toKafkaRecord, type Commit } from '@commitlog/core';
import { createRecordProducer } from '@commitlog/kafka';
import { readFileSync } from 'node:fs';
import { report } from './accept-commit.ts';

const [durationArg, batchArg, file, client] = process.argv.slice(2);
const { commits } = JSON.parse(readFileSync(file ?? '', 'utf8')) as { commits: Commit[] };
const records = commits.map((commit, i) =>
  toKafkaRecord(
    commit,
    { id: `b3-${i}`, receivedAt: new Date().toISOString() },
    routeFor(commit, []),
  ),
);
const producer = await createRecordProducer(client === 'platformatic' ? client : 'kafkajs', {
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'bench-b3',
});
report({ ready: true });
const batchSize = Number(batchArg);
const started = performance.now();
const end = started + Number(durationArg);
const latencies: number[] = [];
let sent = 0;
while (performance.now() < end) {
  const batch = Array.from({ length: batchSize }, (_, i) => records[(sent + i) % records.length]!);
  const t0 = performance.now();
  await producer.send(batch);
  latencies.push(performance.now() - t0);
  sent += batch.length;
}
const seconds = (performance.now() - started) / 1000;
await producer.close();
report({ sent, seconds, batchLatenciesMs: latencies });
process.exit(0);
