import type { RedisConnection } from './redis-connection.ts';

/**
 * The audit trail of operators' actions on deliveries (re-drives, discards, pauses), from the
 * CLI and the dashboard alike, in Redis beside the jobs they act on: a CLI run through
 * `kubectl exec` leaves nothing in any pod's log, and the dashboard's log lines go wherever
 * its pod's logs go. A capped stream: the newest AUDIT_TRAIL_MAX_ENTRIES, about that many at
 * least (Redis trims whole nodes of it). Records hold who, what and how many, never a commit's
 * value.
 */
export const AUDIT_TRAIL_MAX_ENTRIES = 10_000;

export interface AuditRecord {
  /** When, as an ISO 8601 UTC time. */
  at: string;
  /** The dashboard user, or for the CLI its operator (see `cliOperator`). */
  by: string;
  via: 'cli' | 'dashboard';
  /** What was done, in a few words: `redrive`, `discard`, `pause all lanes`, ... */
  action: string;
  /** Its filter, counts and outcome: ids, reasons, buckets and numbers only. */
  detail: Record<string, unknown>;
}

/** The stream's key; one per QUEUE_PREFIX. */
export function auditTrailKey(prefix: string): string {
  return `${prefix}:audit`;
}

/** Appends a record; resolves to its stream id. */
export async function appendAudit(
  redis: RedisConnection,
  prefix: string,
  record: AuditRecord,
): Promise<string> {
  const id = await redis.xadd(
    auditTrailKey(prefix),
    'MAXLEN',
    '~',
    String(AUDIT_TRAIL_MAX_ENTRIES),
    '*',
    'record',
    JSON.stringify(record),
  );
  if (id === null) throw new Error('Redis did not add the audit record');
  return id;
}

/** The newest `count` records, newest first; a record this version cannot read is skipped. */
export async function readAuditTrail(
  redis: RedisConnection,
  prefix: string,
  count: number,
): Promise<(AuditRecord & { id: string })[]> {
  const entries = await redis.xrevrange(auditTrailKey(prefix), '+', '-', 'COUNT', count);
  return entries.flatMap(([id, fields]) => {
    const at = fields.indexOf('record');
    const record = at >= 0 && at % 2 === 0 ? parseRecord(fields[at + 1]) : undefined;
    return record === undefined ? [] : [{ id, ...record }];
  });
}

function parseRecord(text: string | undefined): AuditRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<AuditRecord> | null;
    const ok =
      typeof value?.at === 'string' &&
      typeof value.by === 'string' &&
      (value.via === 'cli' || value.via === 'dashboard') &&
      typeof value.action === 'string' &&
      typeof value.detail === 'object' &&
      value.detail !== null;
    return ok ? (value as AuditRecord) : undefined;
  } catch {
    return undefined;
  }
}
