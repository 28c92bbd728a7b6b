// The dashboard's HTTP API over jobs seeded on the real Redis by real lane workers: failed for two
// reasons, a lane held by a retrying commit, commits waiting in a lane nobody consumes, and a real
// stall (a worker process SIGKILLed while holding a job, picked up by another worker).
import {
  createCommitEnqueuer,
  createRedisConnection,
  laneQueueName,
  readAuditTrail,
  recordStall,
  startLaneWorkers,
  type CommitEnqueuer,
  type CommitJobData,
  type DeliveryOverview,
  type LaneOutcome,
  type LaneWorkers,
  type RedisConnection,
} from '@commitlog/queue';
import { createLogger, formatTime, hashPassword, loadDashboardConfig } from '@commitlog/runtime';
import {
  captureLogLines,
  createTestQueuePrefix,
  freePort,
  startHangingLaneWorker,
  waitFor,
  type TestQueuePrefix,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from './start-dashboard.ts';
import { MAX_JOBS_PER_PAGE } from './board-guard.ts';
import { SIGN_OUT_KEPT_PAST_EXPIRY_MS } from './session-revocations.ts';

const LANES = 8;
const VALUE = Buffer.from('{"amount":100,"card":"4111111111111111"}').toString('base64');
const PASSWORD = { admin: 'admin-password-1', viewer: 'viewer-password-1' };

function job(id: string, lane: number, bucket: string): CommitJobData {
  const commit = {
    bucketType: 'default',
    bucket,
    key: id,
    op: 'put' as const,
    siblings: [{ value: VALUE }],
  };
  return { id, lane, commit, receivedAt: new Date().toISOString() };
}

/** What the in-process workers do with each seeded commit, by bucket. */
function outcome(j: {
  data: CommitJobData;
  retry?: { attempt: number; heldSince: number };
}): LaneOutcome {
  switch (j.data.commit.bucket) {
    case 'expired':
      return { kind: 'fail', reason: 'expired', message: 'not delivered within 3s: broker down' };
    case 'too-big':
      return { kind: 'fail', reason: 'too-large', message: 'record of 2000000 bytes' };
    case 'held': {
      const attempt = (j.retry?.attempt ?? 0) + 1;
      const heldSince = j.retry?.heldSince ?? Date.now();
      const progress = {
        attempt,
        lastError: 'NOT_ENOUGH_REPLICAS',
        nextTryAt: Date.now() + 60_000,
        heldSince,
      };
      return { kind: 'retry', delayMs: 60_000, progress };
    }
    default:
      return { kind: 'delivered' };
  }
}

interface Client {
  cookie: string;
  csrf: string;
}

/** A dashboard of the test's own on `env` (with an admin), and the admin's session cookie. */
async function startSignedIn(
  env: Record<string, string>,
): Promise<{ dashboard: RunningDashboard; base: string; cookie: string }> {
  const [port, opsPort] = [await freePort(), await freePort()];
  const dashboard = await startDashboard(
    loadDashboardConfig({
      ...env,
      DASHBOARD_PORT: String(port),
      DASHBOARD_OPS_PORT: String(opsPort),
      DASHBOARD_USERS: `admin:admin:${await hashPassword(PASSWORD.admin)}`,
    }),
    createLogger({ service: 'dashboard', level: 'silent' }),
  );
  const base = `http://127.0.0.1:${dashboard.port}`;
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'admin', password: PASSWORD.admin }),
    redirect: 'manual',
  });
  expect(login.status).toBe(303);
  return { dashboard, base, cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]! };
}

describe('the dashboard over seeded deliveries on the real Redis', () => {
  let space: TestQueuePrefix;
  let producer: RedisConnection;
  let workerConnection: RedisConnection;
  let enqueuer: CommitEnqueuer;
  let workers: LaneWorkers;
  let dashboard: RunningDashboard;
  const logs = captureLogLines();
  let base: string;
  let admin: Client;
  let viewer: Client;
  /** Around the enqueue of lane 5's head (`wait-1`), epoch ms: its age on the overview is bounded by them. */
  let waitingHeadSince = 0;
  let waitingHeadBy = 0;

  /**
   * The Deliveries page after a re-drive's 303, sent the notice cookie the 303 set (as a browser
   * following it sends it); the page deletes it, so that it is shown once.
   */
  async function noticePage(redirect: Response): Promise<string> {
    const notice = redirect.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(notice).toMatch(/^commitlog_redrive_notice=\d/);
    const page = await fetch(`${base}/deliveries`, {
      headers: { cookie: `${admin.cookie}; ${notice}` },
    });
    expect(page.headers.get('set-cookie')).toMatch(/^commitlog_redrive_notice=;.*Max-Age=0/);
    return page.text();
  }

  async function signIn(user: 'admin' | 'viewer'): Promise<Client> {
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: user, password: PASSWORD[user], next: '/deliveries' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await (await fetch(`${base}/deliveries`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    return { cookie, csrf };
  }

  const overview = async (client: Client): Promise<DeliveryOverview> =>
    (
      await fetch(`${base}/api/overview`, { headers: { cookie: client.cookie } })
    ).json() as Promise<DeliveryOverview>;

  const redrive = (
    client: Client,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie: client.cookie, accept: 'application/json', ...headers },
      body: new URLSearchParams(form),
    });

  beforeAll(async () => {
    space = createTestQueuePrefix();
    producer = createRedisConnection({ url: space.redisUrl, role: 'producer', onError: () => {} });
    workerConnection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    enqueuer = createCommitEnqueuer({
      connection: producer,
      prefix: space.prefix,
      maxLaneBacklog: 10_000,
      lanes: LANES,
    });

    // A real stall on lane 6: a worker process takes the job and is killed holding it.
    const doomed = startHangingLaneWorker({
      redisUrl: space.redisUrl,
      prefix: space.prefix,
      lane: 6,
      workerName: 'doomed-pod:7',
      lockMs: 1000,
    });
    await enqueuer.enqueue(job('stalled-1', 6, 'payments'));
    await doomed.taken('stalled-1');
    await doomed.kill();

    workers = await startLaneWorkers({
      connection: workerConnection,
      prefix: space.prefix,
      lanes: [0, 1, 2, 3, 6],
      workerName: 'test-worker:1',
      lockDurationMs: 1000,
      dedupWindowMs: 3_600_000,
      handle: (j) => Promise.resolve(outcome(j)),
      onStalled: ({ lane, jobId, worker }) =>
        void recordStall(producer, space.prefix, { lane, jobId, at: Date.now(), worker }),
    });
    await enqueuer.enqueue(job('exp-1', 0, 'expired'));
    await enqueuer.enqueue(job('exp-2', 1, 'expired'));
    await enqueuer.enqueue(job('big-1', 2, 'too-big'));
    await enqueuer.enqueue(job('held-1', 3, 'held'));
    await enqueuer.enqueue(job('ok-1', 0, 'payments'));
    waitingHeadSince = Date.now();
    await enqueuer.enqueue(job('wait-1', 5, 'payments')); // lane 5 has no worker
    waitingHeadBy = Date.now();
    await enqueuer.enqueue(job('wait-2', 5, 'payments'));

    const [adminHash, viewerHash] = await Promise.all([
      hashPassword(PASSWORD.admin),
      hashPassword(PASSWORD.viewer),
    ]);
    const [port, opsPort] = [await freePort(), await freePort()];
    const config = loadDashboardConfig({
      REDIS_URL: space.redisUrl,
      QUEUE_PREFIX: space.prefix,
      LANES: String(LANES),
      DASHBOARD_PORT: String(port),
      DASHBOARD_OPS_PORT: String(opsPort),
      DASHBOARD_USERS: `admin:admin:${adminHash},viewer:viewer:${viewerHash}`,
    });
    dashboard = await startDashboard(
      config,
      createLogger({ service: 'dashboard', level: 'info', destination: logs }),
    );
    base = `http://127.0.0.1:${dashboard.port}`;
    [admin, viewer] = await Promise.all([signIn('admin'), signIn('viewer')]);
    await waitFor(
      async () => {
        const o = await overview(viewer);
        const stalled = o.stalls.find((s) => s.jobId === 'stalled-1');
        return (
          o.held.length === 1 && o.recentFailures.length === 3 && stalled?.state === 'delivered'
        );
      },
      { timeoutMs: 30_000, description: 'the seeded failures, the held lane and the stall' },
    );
  });

  afterAll(async () => {
    await dashboard?.close();
    await workers?.close();
    await enqueuer?.close();
    workerConnection?.disconnect();
    producer?.disconnect();
    await space?.cleanup();
  });

  it('answers /healthz to anyone and nothing else without a sign-in', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const path of ['/api/overview', '/queues/api/queues', '/deliveries']) {
      const response = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
    const page = await fetch(`${base}/deliveries`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fdeliveries');
    const forged = await fetch(`${base}/api/overview`, {
      headers: { cookie: 'commitlog_session=eyJuYW1lIjoiYWRtaW4ifQ.x' },
    });
    expect(forged.status).toBe(401);
  });

  it('refuses a wrong password', async () => {
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'admin', password: 'not-the-password' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('ends a session on sign-out, for a copy of its cookie too, and no other session', async () => {
    const [session, other] = await Promise.all([signIn('viewer'), signIn('viewer')]);
    const copy = session.cookie;
    const out = await fetch(`${base}/logout`, {
      method: 'POST',
      headers: { cookie: session.cookie },
      body: new URLSearchParams({ _csrf: session.csrf }),
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^commitlog_session=; .*Max-Age=0/);
    const nonce = (
      JSON.parse(
        Buffer.from(copy.slice(copy.indexOf('=') + 1).split('.')[0]!, 'base64url').toString(),
      ) as { nonce: string }
    ).nonce;
    // Kept until the session would have expired anyway (and a margin after), not for ever.
    const ttl = await producer.pttl(`${space.prefix}:{meta}:signed-out:${nonce}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(8 * 3_600_000 + SIGN_OUT_KEPT_PAST_EXPIRY_MS);
    const reused = await fetch(`${base}/api/overview`, { headers: { cookie: copy } });
    expect(reused.status).toBe(401);
    expect(
      (await fetch(`${base}/api/overview`, { headers: { cookie: other.cookie } })).status,
    ).toBe(200);
  });

  it('shows failures by reason, the held lane, the waiting lane and the stall', async () => {
    const o = await overview(viewer);
    expect(o.failedByReason.map((g) => [g.reason, g.count])).toEqual([
      ['expired', 2],
      ['too-large', 1],
    ]);
    expect(o.recentFailures.map((f) => f.jobId).sort()).toEqual(['big-1', 'exp-1', 'exp-2']);
    expect(o.recentFailures.find((f) => f.jobId === 'big-1')).toMatchObject({
      lane: 2,
      reason: 'too-large',
      message: 'record of 2000000 bytes',
      bucket: 'too-big',
      key: 'big-1',
    });
    expect(o.held).toEqual([
      expect.objectContaining({
        lane: 3,
        jobId: 'held-1',
        attempt: 1,
        lastError: 'NOT_ENOUGH_REPLICAS',
      }),
    ]);
    expect(o.backlogs[5]).toMatchObject({ waiting: 2, active: 0 });
    // Counted from the head's enqueue (`wait-1`), not from the newer job or from nothing, at the
    // reading (which may be a few seconds older than the request: pages share one).
    const age = o.backlogs[5]!.oldestWaitingAgeMs!;
    expect(age).toBeGreaterThanOrEqual(o.at - waitingHeadBy);
    expect(age).toBeLessThanOrEqual(o.at - waitingHeadSince);
    expect(o.stalls).toEqual([
      expect.objectContaining({
        lane: 6,
        jobId: 'stalled-1',
        worker: 'doomed-pod:7',
        state: 'delivered',
      }),
    ]);
    expect(o.rates.reduce((t, m) => t + m.delivered, 0)).toBe(2); // ok-1 and stalled-1
    expect(o.rates.reduce((t, m) => t + m.failed, 0)).toBe(3);
    expect(JSON.stringify(o)).not.toContain(VALUE);
  });

  it('renders the overview page with the same facts, and re-drive buttons for admins only', async () => {
    const page = async (c: Client) =>
      (await fetch(`${base}/deliveries`, { headers: { cookie: c.cookie } })).text();
    const [asViewer, asAdmin] = await Promise.all([page(viewer), page(admin)]);
    for (const html of [asViewer, asAdmin]) {
      expect(html).toContain('data-reason="expired"');
      expect(html).toContain('data-job="stalled-1"');
      expect(html).toContain('doomed-pod:7');
      expect(html).toContain('NOT_ENOUGH_REPLICAS');
      expect(html).toContain(
        `/queues/queue/${encodeURIComponent(`lanes 0-7/${laneQueueName(2)}`)}/big-1`,
      );
      // The waiting lane links to its page in Bull Board.
      expect(html).toContain(
        `<a href="/queues/queue/${encodeURIComponent(`lanes 0-7/${laneQueueName(5)}`)}">5</a>`,
      );
    }
    expect(asViewer).not.toContain('Re-drive');
    expect(asAdmin).toContain('Re-drive all 2');
  });

  it('redacts commit values in Bull Board and keeps viewers read-only there', async () => {
    const queue = encodeURIComponent(`lanes 0-7/${laneQueueName(2)}`);
    const list = await fetch(
      `${base}/queues/api/queues?activeQueue=${queue}&status=failed&page=1&jobsPerPage=10`,
      {
        headers: { cookie: viewer.cookie },
      },
    );
    // Bull Board's answers are not framed, sniffed, or sent on as a referrer.
    expect(list.headers.get('x-frame-options')).toBe('DENY');
    expect(list.headers.get('x-content-type-options')).toBe('nosniff');
    expect(list.headers.get('referrer-policy')).toBe('same-origin');
    const listed = (await list.json()) as { queues: { hasWorkers: unknown }[] };
    const body = JSON.stringify(listed);
    expect(body).toContain('"name":"too-big/big-1"');
    // Not asked: a CLIENT LIST per lane on every poll (bull-board.ts, showWorkers).
    expect(listed.queues.map((q) => q.hasWorkers)).toEqual(listed.queues.map(() => null));
    expect(listed.queues.length).toBeGreaterThan(0);
    expect(body).toContain(`[redacted: 1 sibling: ${Buffer.from(VALUE, 'base64').length} bytes]`);
    expect(body).not.toContain(VALUE);

    // A page asks for at most MAX_JOBS_PER_PAGE jobs of Bull Board, whatever the query says
    // (Bull Board reads each job whole, and sets no ceiling of its own).
    const perPage = async (path: string, jobsPerPage: string): Promise<number> => {
      const page = await fetch(
        `${base}${path}?activeQueue=${queue}&status=failed&page=1&jobsPerPage=${jobsPerPage}`,
        { headers: { cookie: viewer.cookie } },
      );
      expect(page.status, jobsPerPage).toBe(200);
      const answer = (await page.json()) as {
        queues: { name: string; pagination: { range: { start: number; end: number } } }[];
      };
      const active = answer.queues.find((q) => q.name === decodeURIComponent(queue));
      return active!.pagination.range.end - active!.pagination.range.start + 1;
    };
    expect(await perPage('/queues/api/queues', '10')).toBe(10);
    expect(await perPage('/queues/api/queues', String(MAX_JOBS_PER_PAGE))).toBe(MAX_JOBS_PER_PAGE);
    for (const asked of ['300', '10000000', '10&jobsPerPage=10000000', 'many']) {
      expect(await perPage('/queues/api/queues', asked), asked).toBe(MAX_JOBS_PER_PAGE);
    }
    // Bull Board's router ignores case and a trailing slash: so does the ceiling.
    for (const path of ['/queues/api/queues/', '/queues/API/Queues']) {
      expect(await perPage(path, '10000000'), path).toBe(MAX_JOBS_PER_PAGE);
    }

    const retry = await fetch(`${base}/queues/api/queues/${queue}/retry/failed`, {
      method: 'PUT',
      headers: { cookie: viewer.cookie },
    });
    expect(retry.status).toBe(403);
    // What could lose, duplicate or reorder commits is refused even to an admin.
    for (const path of ['empty', 'clean/failed', 'clean/completed', 'big-1/clean', 'add']) {
      const response = await fetch(`${base}/queues/api/queues/${queue}/${path}`, {
        method: path === 'add' ? 'POST' : 'PUT',
        headers: { cookie: admin.cookie, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect((await overview(admin)).recentFailures.map((f) => f.jobId)).toContain('big-1');
  });

  it("refuses a viewer's re-drive, and a request without the CSRF token or from another site", async () => {
    const asViewer = await redrive(viewer, { _csrf: viewer.csrf, reason: 'expired' });
    expect(asViewer.status).toBe(403);
    expect(await asViewer.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });

    const noToken = await redrive(admin, { reason: 'expired' });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ error: { code: 'CSRF' } });
    const wrongToken = await redrive(admin, { _csrf: viewer.csrf, reason: 'expired' });
    expect(wrongToken.status).toBe(403);
    const otherSite = await redrive(
      admin,
      { _csrf: admin.csrf, reason: 'expired' },
      { origin: 'https://evil.example' },
    );
    expect(otherSite.status).toBe(403);
    expect(await otherSite.json()).toMatchObject({ error: { code: 'CSRF' } });
    // Each refusal on record: a forged page at work, or a proxy that mangles the headers.
    expect(logs.lines.filter((l) => l.audit === 'request forgery refused')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          user: 'admin',
          path: '/deliveries/redrive',
          why: 'no CSRF token',
        }),
        expect.objectContaining({ user: 'admin', why: 'wrong CSRF token' }),
        expect.objectContaining({
          user: 'admin',
          method: 'POST',
          why: 'another site',
          origin: 'https://evil.example',
        }),
      ]),
    );

    const bad = await redrive(admin, { _csrf: admin.csrf, jobId: 'exp-1', lane: '99' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    // A lane it is not in: nothing moved, and the answer says so (not 200 with zero counts).
    const elsewhere = await redrive(admin, { _csrf: admin.csrf, jobId: 'exp-1', lane: '3' });
    expect(elsewhere.status).toBe(409);
    expect(await elsewhere.json()).toEqual({
      error: {
        code: 'NOT_REDRIVEN',
        message:
          'job exp-1 is not a failed delivery in lane 3 (re-driven by someone else, removed after FAILED_RETENTION, or in another lane): nothing was moved',
      },
    });
    expect((await overview(admin)).failedByReason[0]).toMatchObject({
      reason: 'expired',
      count: 2,
    });
  });

  it("re-drives one failed delivery, then all of a reason, from an admin's request", async () => {
    const before = (await readAuditTrail(producer, space.prefix, 100)).length;
    const one = await redrive(admin, { _csrf: admin.csrf, jobId: 'big-1', lane: '2' });
    expect(await one.json()).toEqual({ redriven: 1, skipped: 0 });
    const all = await redrive(admin, { _csrf: admin.csrf, reason: 'expired' });
    expect(await all.json()).toEqual({ redriven: 2, skipped: 0 });
    // On record in the audit trail in Redis, where `commitlog audit` reads the CLI's too.
    // A re-drive of many, on record before it moves anything too.
    await waitFor(
      async () => (await readAuditTrail(producer, space.prefix, 100)).length === before + 3,
    );
    const trail = await readAuditTrail(producer, space.prefix, 3);
    expect(trail).toEqual([
      expect.objectContaining({
        by: 'admin',
        via: 'dashboard',
        action: 're-drove',
        detail: {
          reason: 'expired',
          phase: 'done',
          opened: trail[1]!.id,
          redriven: 2,
          skipped: 0,
        },
      }),
      expect.objectContaining({
        by: 'admin',
        via: 'dashboard',
        action: 're-drove',
        detail: { reason: 'expired', phase: 'started' },
      }),
      expect.objectContaining({
        action: 're-drove',
        detail: { jobId: 'big-1', lane: 2, redriven: 1, skipped: 0 },
      }),
    ]);
    // Each went back to its lane with a fresh TTL (counted from redrivenAt), and the same
    // workers failed it again: in the failed set once more, finished after its re-drive.
    const redriven = [
      ['exp-1', 0],
      ['exp-2', 1],
      ['big-1', 2],
    ] as const;
    await waitFor(
      async () => {
        const again = await Promise.all(
          redriven.map(async ([id, lane]) => {
            const queueKey = `${space.prefix}:${laneQueueName(lane)}`;
            const [data, finishedOn] = await producer.hmget(
              `${queueKey}:${id}`,
              'data',
              'finishedOn',
            );
            const { redrivenAt } = JSON.parse(data ?? '{}') as CommitJobData;
            const failed = await producer.zscore(`${queueKey}:failed`, id);
            return failed !== null && Number(finishedOn) >= Date.parse(redrivenAt ?? '');
          }),
        );
        return again.every(Boolean);
      },
      { description: 'each re-driven job failed again after its re-drive' },
    );
  });

  it('lists a failed job whose data does not parse in Bull Board, and re-drives past it', async () => {
    await enqueuer.enqueue(job('bad-1', 1, 'too-big'));
    const failedKey = `${space.prefix}:${laneQueueName(1)}:failed`;
    await waitFor(async () => (await producer.zscore(failedKey, 'bad-1')) !== null, {
      description: 'bad-1 failed',
    });
    // A hand edit of Redis cut its data short.
    await producer.hset(`${space.prefix}:${laneQueueName(1)}:bad-1`, 'data', '{"id":"bad-1","com');

    const lane1 = encodeURIComponent(`lanes 0-7/${laneQueueName(1)}`);
    const list = await fetch(
      `${base}/queues/api/queues?activeQueue=${lane1}&status=failed&page=1&jobsPerPage=10`,
      { headers: { cookie: viewer.cookie } },
    );
    expect(list.status).toBe(200);
    const listed = JSON.stringify(await list.json());
    expect(listed).toContain('"id":"bad-1"');
    expect(listed).toContain('not a commit job');
    const retryOne = await fetch(`${base}/queues/api/queues/${lane1}/bad-1/retry`, {
      method: 'PUT',
      headers: { cookie: admin.cookie },
    });
    expect(retryOne.status).toBe(409);
    expect(await retryOne.json()).toMatchObject({
      error: {
        code: 'NOT_REDRIVEN',
        message: expect.stringContaining('bad-1 holds no commit') as unknown,
      },
    });

    const response = await fetch(`${base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie: admin.cookie },
      body: new URLSearchParams({ _csrf: admin.csrf, reason: 'too-large' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/deliveries');
    const page = await noticePage(response);
    expect(page).toContain('Re-drove 1 delivery.');
    expect(page).toContain('1 was left failed: its job holds no commit');
    expect(await producer.zscore(failedKey, 'bad-1')).not.toBeNull();
  });

  it('shows a lane an admin paused in Bull Board until it is resumed', async () => {
    const lane7 = encodeURIComponent(`lanes 0-7/${laneQueueName(7)}`);
    const board = (action: 'pause' | 'resume', client: Client) =>
      fetch(`${base}/queues/api/queues/${lane7}/${action}`, {
        method: 'PUT',
        headers: { cookie: client.cookie },
      });
    expect((await board('pause', viewer)).status).toBe(403);
    // A viewer's attempt is on record in the log (a stolen session probing leaves a trace).
    expect(logs.lines.filter((l) => l.audit === 'board: refused')).toContainEqual(
      expect.objectContaining({
        user: 'viewer',
        method: 'PUT',
        path: `/api/queues/${lane7}/pause`,
        status: 403,
      }),
    );
    expect((await board('pause', admin)).ok).toBe(true);
    try {
      const o = await overview(viewer);
      expect(o.backlogs.filter((b) => b.paused).map((b) => b.lane)).toEqual([7]);
      const page = await (
        await fetch(`${base}/deliveries`, { headers: { cookie: viewer.cookie } })
      ).text();
      expect(page).toMatch(/<div class="alert"><b>1<\/b>paused lanes<\/div>/);
      expect(page).toContain('data-paused');
    } finally {
      expect((await board('resume', admin)).ok).toBe(true);
    }
    expect((await overview(viewer)).backlogs.some((b) => b.paused)).toBe(false);
  });

  it('serves one reading of the overview to the pages that ask within seconds', async () => {
    const {
      dashboard: own,
      base: ownBase,
      cookie,
    } = await startSignedIn({ REDIS_URL: space.redisUrl, QUEUE_PREFIX: space.prefix, LANES: '8' });
    try {
      const read = async (): Promise<DeliveryOverview> =>
        (await (
          await fetch(`${ownBase}/api/overview`, { headers: { cookie } })
        ).json()) as DeliveryOverview;
      const first = await read();
      const page = await (await fetch(`${ownBase}/deliveries`, { headers: { cookie } })).text();
      const [second, third] = await Promise.all([read(), read()]);
      expect([second.at, third.at]).toEqual([first.at, first.at]);
      expect(page).toContain(`Read at ${formatTime(first.at)}`);
    } finally {
      await own.close();
    }
  });

  it('says so when a re-drive from the page matches no failed delivery', async () => {
    const response = await fetch(`${base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie: admin.cookie },
      body: new URLSearchParams({ _csrf: admin.csrf, reason: 'no-such-reason' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/deliveries');
    expect(await noticePage(response)).toContain(
      'Nothing was re-driven: no failed delivery matched.',
    );
  });

  it('says a re-drive was done only after one, never for a link that says so', async () => {
    const crafted = await fetch(`${base}/deliveries?redriven=4000&skipped=0`, {
      headers: { cookie: admin.cookie },
    });
    expect(crafted.status).toBe(200);
    expect(await crafted.text()).not.toContain('Re-drove');
  });

  it("blocks a user's sign-in after five failures, and no one else's", async () => {
    const attempt = (username: string, password: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        body: new URLSearchParams({ username, password }),
        redirect: 'manual',
      });
    const failures = await Promise.all(
      Array.from({ length: 8 }, () => attempt('viewer', 'not-the-password')),
    );
    // Counted before the hash, so parallel guesses get five tries between them, no more.
    expect(failures.filter((r) => r.status === 401)).toHaveLength(5);
    expect(failures.filter((r) => r.status === 429)).toHaveLength(3);
    expect((await attempt('viewer', PASSWORD.viewer)).status).toBe(429);
    expect((await attempt('admin', PASSWORD.admin)).status).toBe(303);
  });

  it('covers every lane the count in Redis records, and says so, when started with a stale LANES', async () => {
    const {
      dashboard: stale,
      base: staleBase,
      cookie,
    } = await startSignedIn({
      REDIS_URL: space.redisUrl,
      QUEUE_PREFIX: space.prefix,
      LANES: '2',
    });
    try {
      // big-1 failed in lane 2, past this dashboard's LANES=2; lane 5 waits (LANES=8 recorded).
      await waitFor(
        async () => {
          const o = (await (
            await fetch(`${staleBase}/api/overview`, { headers: { cookie } })
          ).json()) as DeliveryOverview;
          return (
            o.backlogs.length === LANES &&
            o.recentFailures.some((f) => f.jobId === 'big-1' && f.lane === 2)
          );
        },
        { description: "lane 2's failure on a dashboard with LANES=2" },
      );
      const page = await (await fetch(`${staleBase}/deliveries`, { headers: { cookie } })).text();
      expect(page).toContain('data-lanes-mismatch');
      expect(page).toMatch(/runs with LANES=2, but the queues in Redis are made with\s+LANES=8/);
      // No Bull Board link for a lane Bull Board does not have here.
      expect(page).not.toContain(encodeURIComponent('{lane-0002}'));
      expect(
        await (await fetch(`${base}/deliveries`, { headers: { cookie: admin.cookie } })).text(),
      ).not.toContain('data-lanes-mismatch');
      // "Pause all" here would pause lanes 0 and 1 only: refused, and nothing is paused.
      const pauseAll = await fetch(`${staleBase}/queues/api/queues/pause`, {
        method: 'PUT',
        headers: { cookie },
      });
      expect(pauseAll.status).toBe(409);
      expect(await pauseAll.json()).toMatchObject({
        error: {
          code: 'STALE_LANE_COUNT',
          message: expect.stringContaining('restart the dashboard with LANES=8') as unknown,
        },
      });
      expect((await overview(admin)).backlogs.some((b) => b.paused)).toBe(false);
      // "Resume all" likewise: it would leave lanes 2 to 7 paused while saying all were resumed.
      const resumeAll = await fetch(`${staleBase}/queues/api/queues/resume`, {
        method: 'PUT',
        headers: { cookie },
      });
      expect(resumeAll.status).toBe(409);
      expect(await resumeAll.json()).toMatchObject({ error: { code: 'STALE_LANE_COUNT' } });
    } finally {
      await stale.close();
    }
  });
});

describe('the dashboard while Redis is away', () => {
  it('answers 503 on its own views and on Bull Board’s API, not 500', async () => {
    const { dashboard, base, cookie } = await startSignedIn({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      LANES: '2',
    });
    try {
      for (const path of [
        '/api/overview',
        '/queues/api/queues',
        '/queues/api/redis/stats',
        '/queues/API/queues',
      ]) {
        const response = await fetch(`${base}${path}`, { headers: { cookie } });
        expect(response.status, path).toBe(503);
        expect(await response.json(), path).toMatchObject({ error: { code: 'UNAVAILABLE' } });
      }
      // Bull Board's page itself needs no Redis: it loads and then asks its API.
      expect((await fetch(`${base}/queues`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await dashboard.close();
    }
  }, 20_000);
});
