// A dashboard stopped while it re-drives many failed deliveries, on the real Redis: whether the
// re-drive ends first or is cut by the stop, the audit log and the audit trail in Redis say
// exactly how many it moved (the closing record written before Redis is closed), and every
// delivery is either back in its lane or still failed, none lost and none moved twice.
import {
  createCommitEnqueuer,
  createRedisConnection,
  failedByReason,
  laneQueueName,
  readAuditTrail,
  startLaneWorkers,
  type CommitJobData,
  type RedisConnection,
} from '@commitlog/queue';
import { createLogger, hashPassword, loadDashboardConfig } from '@commitlog/runtime';
import { createTestQueuePrefix, freePort, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from './start-dashboard.ts';

const LANES = 2;
const FAILED = 3000;
const PASSWORD = 'admin-password-1';

function job(n: number): CommitJobData {
  const commit = {
    bucketType: 'default',
    bucket: 'payments',
    key: `k-${n}`,
    op: 'put' as const,
    siblings: [{ value: Buffer.from(`{"n":${n}}`).toString('base64') }],
  };
  return { id: `c-${n}`, lane: n % LANES, commit, receivedAt: new Date().toISOString() };
}

describe('a dashboard stopped during a re-drive of many', () => {
  let space: TestQueuePrefix;
  let producer: RedisConnection;
  const lanes = Array.from({ length: LANES }, (_, lane) => lane);
  const failedCount = async () =>
    (await failedByReason(producer, space.prefix, lanes)).reduce((n, g) => n + g.count, 0);
  const waitingCount = async () => {
    const lengths = await Promise.all(
      lanes.map((lane) => producer.llen(`${space.prefix}:${laneQueueName(lane)}:wait`)),
    );
    return lengths.reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    space = createTestQueuePrefix();
    producer = createRedisConnection({ url: space.redisUrl, role: 'producer', onError: () => {} });
    const workerConnection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    const enqueuer = createCommitEnqueuer({
      connection: producer,
      prefix: space.prefix,
      maxLaneBacklog: 10_000,
      lanes: LANES,
    });
    const workers = await startLaneWorkers({
      connection: workerConnection,
      prefix: space.prefix,
      lanes,
      workerName: 'test-worker:1',
      lockDurationMs: 5000,
      dedupWindowMs: 3_600_000,
      handle: () => Promise.resolve({ kind: 'fail', reason: 'expired', message: 'broker down' }),
    });
    await Promise.all(Array.from({ length: FAILED }, (_, n) => enqueuer.enqueue(job(n))));
    await waitFor(async () => (await failedCount()) === FAILED, {
      timeoutMs: 60_000,
      description: `${FAILED} failed deliveries`,
    });
    // No worker from here: what the re-drive moves stays waiting in its lane, to be counted.
    await workers.close();
    await enqueuer.close();
    workerConnection.disconnect();
  }, 90_000);

  afterAll(async () => {
    producer?.disconnect();
    await space?.cleanup();
  });

  it('audits exactly what it moved, and loses or repeats nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'dashboard',
      destination: {
        write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    const [port, opsPort] = [await freePort(), await freePort()];
    const dashboard = await startDashboard(
      loadDashboardConfig({
        REDIS_URL: space.redisUrl,
        QUEUE_PREFIX: space.prefix,
        LANES: String(LANES),
        DASHBOARD_PORT: String(port),
        DASHBOARD_OPS_PORT: String(opsPort),
        DASHBOARD_USERS: `admin:admin:${await hashPassword(PASSWORD)}`,
        // Half of it for the re-drive to end by itself (3,000 take longer here), a quarter
        // (half a second, room for a loaded machine) for the stopped one's last move and closing
        // record.
        SHUTDOWN_TIMEOUT: '2s',
      }),
      logger,
    );
    const base = `http://127.0.0.1:${dashboard.port}`;
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'admin', password: PASSWORD }),
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await (await fetch(`${base}/deliveries`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

    const answer = fetch(`${base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie, accept: 'application/json' },
      body: new URLSearchParams({ _csrf: csrf, reason: 'expired' }),
    }).then(
      (r) => r.status,
      () => 0, // the stop closed the connection first
    );
    await waitFor(
      async () => {
        const { run } = (await (
          await fetch(`${base}/api/redrive`, { headers: { cookie } })
        ).json()) as { run: { state: string } | null };
        return run?.state === 'running';
      },
      { timeoutMs: 10_000, description: 'the re-drive running' },
    );
    await dashboard.close();
    expect([0, 200, 202, 503]).toContain(await answer);

    const audits = lines.filter((l) => l.audit === 're-drove');
    expect(audits.map((a) => a.phase)).toEqual(['started', audits[1]?.phase]);
    const audit = audits[1] as {
      phase: string;
      redriven: number;
      skipped: number;
      interrupted?: string;
    };
    const [waiting, failed] = [await waitingCount(), await failedCount()];
    expect(audit.redriven).toBe(waiting);
    expect(waiting + failed).toBe(FAILED);
    expect(audit.skipped).toBe(0);
    // Cut short or not, the audit says which.
    expect(audit.interrupted !== undefined).toBe(audit.redriven < FAILED);
    expect(audit.phase).toBe(audit.interrupted === undefined ? 'done' : 'interrupted');
    // The trail in Redis has both records, the closing one naming the opening one.
    const [closing, opening] = await readAuditTrail(producer, space.prefix, 10);
    expect(opening).toMatchObject({
      action: 're-drove',
      detail: { reason: 'expired', phase: 'started' },
    });
    expect(closing).toMatchObject({
      action: 're-drove',
      detail: { phase: audit.phase, opened: opening!.id, redriven: waiting, skipped: 0 },
    });
  });
});
