// A commit that cannot reach Kafka within its TTL fails for good with reason `expired`, and stays
// visible as a failed job (never silently dropped).
import {
  NOTHING_LISTENS_PORT,
  putCommit,
  uniqueName,
  startSystem,
  type RunningSystem,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFailureOf } from './support/delivery-oracle.ts';

describe('commit TTL', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    // Nothing listens on this port: Kafka is down for the whole test.
    const deadKafka = [`127.0.0.1:${NOTHING_LISTENS_PORT}`];
    system = await startSystem({ kafkaBrokers: deadKafka, env: { COMMIT_TTL: '3s' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('fails the job with reason expired once the TTL has passed', async () => {
    const response = await system.post(putCommit({ bucket: uniqueName('ttl'), key: 'late' }));
    expect(response.status).toBe(202);
    const failure = await deliveryFailureOf(system, response.body as { id: string; lane: number });
    expect(failure.reason).toMatch(/^expired: /);
    expect(failure.inFailedSet).toBe(true);
  });
});
