import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendAudit,
  AUDIT_TRAIL_MAX_ENTRIES,
  auditTrailKey,
  readAuditTrail,
  type AuditRecord,
} from './audit-trail.ts';

function record(n: number): AuditRecord {
  return {
    at: new Date(Date.UTC(2026, 11, 7, 5, 0, n)).toISOString(),
    by: 'ops@host',
    via: 'cli',
    action: 'redrive',
    detail: { n },
  };
}

describe('the audit trail in Redis', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  it('gives back the newest records first, each with its stream id', async () => {
    const ids = [];
    for (let n = 0; n < 3; n++) ids.push(await appendAudit(space.redis, space.prefix, record(n)));
    const read = await readAuditTrail(space.redis, space.prefix, 2);
    expect(read).toEqual([
      { id: ids[2], ...record(2) },
      { id: ids[1], ...record(1) },
    ]);
    expect(await readAuditTrail(space.redis, `${space.prefix}-none`, 5)).toEqual([]);
  });

  it('skips an entry it cannot read rather than failing the whole listing', async () => {
    await appendAudit(space.redis, space.prefix, record(0));
    await space.redis.xadd(auditTrailKey(space.prefix), '*', 'record', '{"at": 5}');
    await space.redis.xadd(auditTrailKey(space.prefix), '*', 'other', 'x');
    expect(await readAuditTrail(space.redis, space.prefix, 10)).toEqual([
      expect.objectContaining(record(0)),
    ]);
  });

  it('keeps about the newest AUDIT_TRAIL_MAX_ENTRIES, however many are added', async () => {
    const total = AUDIT_TRAIL_MAX_ENTRIES + 500;
    for (let start = 0; start < total; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          appendAudit(space.redis, space.prefix, record(start + i)),
        ),
      );
    }
    const length = await space.redis.xlen(auditTrailKey(space.prefix));
    // Redis trims whole nodes of the stream (`MAXLEN ~`): never fewer, at most a node more.
    expect(length).toBeGreaterThanOrEqual(AUDIT_TRAIL_MAX_ENTRIES);
    expect(length).toBeLessThan(total);
  });
});
