/** Reading back what reached Kafka, for end-to-end assertions. */
import {
  collectRecords,
  createKafkaAdmin,
  type CollectedRecord,
  type KafkaAdmin,
} from '@commitlog/kafka';
import { waitFor } from '@commitlog/testkit';

export function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

export function header(record: CollectedRecord, name: string): string | undefined {
  return text(record.headers[name]);
}

/**
 * A `readUntil` condition: every one of `ids` read (the `commitlog-id` header), each once or
 * more. A count of records would stop early when one commit landed twice (a produce sent again).
 */
export function allIdsRead(
  ids: ReadonlySet<string>,
): (records: readonly CollectedRecord[]) => boolean {
  return (records) => {
    const read = new Set(records.map((r) => header(r, 'commitlog-id')));
    for (const id of ids) if (!read.has(id)) return false;
    return true;
  };
}

export async function withAdmin<T>(
  brokers: string[],
  fn: (admin: KafkaAdmin) => Promise<T>,
): Promise<T> {
  const admin = await createKafkaAdmin({ brokers, clientId: 'commitlog-e2e' });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/**
 * Reads `topics` from the beginning until `done(records)` holds (or the deadline passes), then
 * returns every record read.
 */
export async function readUntil(
  brokers: string[],
  topics: string[],
  done: (records: readonly CollectedRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<CollectedRecord[]> {
  const collector = await collectRecords({ brokers, clientId: 'commitlog-e2e' }, topics);
  try {
    await waitFor(() => done(collector.records), {
      timeoutMs,
      intervalMs: 100,
      description: `records on ${topics.join(', ')} (have ${collector.records.length})`,
    });
    return [...collector.records];
  } finally {
    await collector.stop();
  }
}
