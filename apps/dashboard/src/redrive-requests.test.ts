// A re-drive of many that outlasts its request, through the dashboard's HTTP API and page: the
// request is answered while it goes on, a second one is refused, and the page follows it.
import type { DeliveryOverview, RedriveFilter, RedriveResult } from '@commitlog/queue';
import { createLogger } from '@commitlog/runtime';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BOARD_PATH } from './bull-board.ts';
import { createDashboardApp } from './dashboard-app.ts';
import { createLoginThrottle } from './login-throttle.ts';
import type { RedriveProgress } from './redrive-progress.ts';
import { createRedriveRunner } from './redrive-runner.ts';
import { createSessionCodec } from './session.ts';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const EMPTY_OVERVIEW: DeliveryOverview = {
  at: 0,
  backlogs: [],
  held: [],
  failedByReason: [],
  recentFailures: [],
  stalls: [],
  stallsRecorded: 0,
  rates: [],
};

/** A dashboard whose re-drives the test ends by hand, and an admin signed in to it. */
async function dashboard(
  adminBoard: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(),
  redis: { up(): boolean; signedOut(): boolean; refusesRecords?: () => boolean } = {
    up: () => true,
    signedOut: () => false,
  },
) {
  const asked: { filter: RedriveFilter; lanes: number[] }[] = [];
  const audited: Record<string, unknown>[] = [];
  let jobState = 'failed';
  const recorded: { by: string; action: string; detail: Record<string, unknown> }[] = [];
  let end: (result: RedriveResult) => void = () => undefined;
  let progress: (soFar: RedriveProgress) => void = () => undefined;
  const runner = createRedriveRunner({ answerWithinMs: 5 });
  // The audit log is the logger's info lines.
  const logger = createLogger({ service: 'dashboard', level: 'silent' });
  logger.info = (detail: Record<string, unknown>) => void audited.push(detail);
  const app = createDashboardApp({
    users: [{ name: 'ada', role: 'admin', passwordHash: 'scrypt:test' }],
    sessions: createSessionCodec({ secret: 'a-session-secret-of-32-characters!!', ttlMs: 60_000 }),
    revocations: {
      revoke: () => Promise.resolve(),
      isRevoked: () => Promise.resolve(redis.signedOut()),
    },
    throttle: createLoginThrottle(),
    secureCookie: false,
    verifyPassword: (password) => Promise.resolve(password === 'the-right-password'),
    boards: { admin: adminBoard, viewer: (_req, res) => res.end() },
    laneCount: 2,
    readRecordedLaneCount: () => Promise.resolve(2),
    readOverview: () => Promise.resolve(EMPTY_OVERVIEW),
    redrive: (filter, lanes, onProgress) => {
      asked.push({ filter, lanes });
      progress = onProgress ?? (() => undefined);
      return new Promise((resolve) => (end = resolve));
    },
    runner,
    jobState: () => Promise.resolve(jobState),
    isRedisUp: () => redis.up(),
    logger,
    recordAction: (record) =>
      redis.refusesRecords?.()
        ? Promise.reject(new Error('OOM command not allowed'))
        : Promise.resolve(void recorded.push(record)),
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'ada', password: 'the-right-password' }),
    redirect: 'manual',
  });
  expect(login.status).toBe(303);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = () => fetch(`${base}/deliveries`, { headers: { cookie } }).then((r) => r.text());
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page())?.[1] ?? '';
  const redriveReason = (reason: string, accept = 'application/json') =>
    fetch(`${base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie, accept },
      body: new URLSearchParams({ _csrf: csrf, reason }),
      redirect: 'manual',
    });
  const current = () =>
    fetch(`${base}/api/redrive`, { headers: { cookie } }).then(
      (r) => r.json() as Promise<{ run: Record<string, unknown> | null }>,
    );
  return {
    base,
    cookie,
    csrf,
    asked,
    audited,
    recorded,
    runner,
    page,
    redriveReason,
    current,
    end: (result: RedriveResult) => end(result),
    setJobState: (state: string) => void (jobState = state),
    progress: (soFar: RedriveProgress) => progress(soFar),
  };
}

describe('a bad re-drive request', () => {
  it('is refused naming its field, without quoting the body, and starts nothing', async () => {
    const d = await dashboard();
    const post = (contentType: string, body: string) =>
      fetch(`${d.base}/deliveries/redrive`, {
        method: 'POST',
        headers: {
          cookie: d.cookie,
          accept: 'application/json',
          'x-csrf-token': d.csrf,
          'content-type': contentType,
        },
        body,
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    expect(await post('application/json', '{"reason": hunter2-password-value}')).toEqual({
      status: 400,
      body: {
        error: { code: 'INVALID_REQUEST', message: 'the body is not valid JSON', path: 'body' },
      },
    });
    expect(await post('application/json', '{"reasn": "expired"}')).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_REQUEST',
          message: 'reasn: not a field of a re-drive (send jobId and lane, or reason)',
          path: 'reasn',
        },
      },
    });
    expect(await post('application/json', '{"jobId": "c-1", "lane": "x"}')).toMatchObject({
      status: 400,
      body: { error: { path: 'lane' } },
    });
    expect(await post('application/json', '{"jobId": "c-1", "lane": 7}')).toMatchObject({
      status: 400,
      body: { error: { message: 'lane: must be below the lane count (2)', path: 'lane' } },
    });
    // Neither parser reads text/plain: it was taken for no body at all.
    expect(await post('text/plain', '{"reason": "expired"}')).toMatchObject({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    });
    expect(d.asked).toEqual([]);
  });
});

describe('a re-drive of many that outlasts its request', () => {
  it('is answered 202 while it goes on, refuses a second one, and is shown and audited when it ends', async () => {
    const d = await dashboard();
    expect(await d.current()).toEqual({ run: null });

    const first = await d.redriveReason('expired');
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({
      running: true,
      by: 'ada',
      what: 'reason expired',
      state: 'running',
    });
    expect(d.asked).toEqual([{ filter: { reason: 'expired' }, lanes: [0, 1] }]);

    // A filter that matches few: for minutes nothing moves, and the page says what was read.
    d.progress({ redriven: 0, skipped: 0, read: 5000 });
    expect(await d.page()).toMatch(
      /is running: 0 re-driven so far \(5000 failed deliveries read\)\. Reload to follow it\./,
    );

    d.progress({ redriven: 1000, skipped: 0 });
    expect((await d.current()).run).toMatchObject({
      state: 'running',
      soFar: { redriven: 1000, skipped: 0 },
    });
    expect(await d.page()).toMatch(
      /A re-drive of reason expired, started by ada at [0-9T:.Z-]+, is running: 1000 re-driven so far\. Reload to follow it\./,
    );

    // Another re-drive of many, from the page or from Bull Board, waits for this one.
    const second = await d.redriveReason('too-large');
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({
      error: {
        code: 'REDRIVE_RUNNING',
        message:
          'a re-drive of reason expired by ada is running (1000 re-driven so far): wait for it to end; the Deliveries page follows it',
      },
    });
    const board = await fetch(
      `${d.base}${BOARD_PATH}/api/queues/${encodeURIComponent('lanes 0-1/{lane-0001}')}/retry/failed`,
      { method: 'PUT', headers: { cookie: d.cookie, 'x-csrf-token': d.csrf } },
    );
    expect(board.status).toBe(409);
    expect(d.asked).toHaveLength(1);
    // A form post (not JSON) is sent back to the page, which follows the re-drive.
    const fromForm = await d.redriveReason('too-large', 'text/html');
    expect(fromForm.status).toBe(409);

    // On record before it moved anything, in the log and in the audit trail in Redis.
    const opening = { reason: 'expired', phase: 'started' };
    expect(d.audited.filter((a) => a.audit === 're-drove')).toEqual([
      { audit: 're-drove', user: 'ada', ...opening },
    ]);
    expect(d.recorded).toEqual([{ by: 'ada', action: 're-drove', detail: opening }]);
    d.end({ redriven: 2400, skipped: 3 });
    await d.runner.idle();
    const closing = { reason: 'expired', phase: 'done', redriven: 2400, skipped: 3 };
    expect(d.audited.filter((a) => a.audit === 're-drove')).toEqual([
      { audit: 're-drove', user: 'ada', ...opening },
      { audit: 're-drove', user: 'ada', ...closing },
    ]);
    // And in the audit trail in Redis, beside the CLI's.
    expect(d.recorded).toEqual([
      { by: 'ada', action: 're-drove', detail: opening },
      { by: 'ada', action: 're-drove', detail: closing },
    ]);
    expect((await d.current()).run).toMatchObject({
      state: 'finished',
      soFar: { redriven: 2400, skipped: 3 },
    });
    expect(await d.page()).toMatch(
      /The re-drive of reason expired by ada ended at [0-9T:.Z-]+: 2400 re-driven, 3 had already been moved, removed or failed again\./,
    );
  });

  it('moves nothing when its opening audit record cannot be written (503 naming why)', async () => {
    let refuses = true;
    const d = await dashboard(undefined, {
      up: () => true,
      signedOut: () => false,
      refusesRecords: () => refuses,
    });
    const refused = await d.redriveReason('expired');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      error: {
        code: 'AUDIT_UNAVAILABLE',
        message:
          'nothing was re-driven: its audit record could not be written to Redis (OOM command not allowed)',
      },
    });
    expect(d.asked).toEqual([]);
    // Nothing left held: once records can be written, the same request starts it.
    refuses = false;
    expect((await d.redriveReason('expired')).status).toBe(202);
    expect(d.asked).toHaveLength(1);
    d.end({ redriven: 0, skipped: 0 });
    await d.runner.idle();
  });

  it('sends a form post back to the page while its re-drive goes on', async () => {
    const d = await dashboard();
    const fromForm = await d.redriveReason('expired', 'text/html');
    expect(fromForm.status).toBe(303);
    expect(fromForm.headers.get('location')).toBe('/deliveries');
    d.end({ redriven: 0, skipped: 0 });
    await d.runner.idle();
    // The page refreshes to itself without a notice in its address: a finished re-drive's
    // "re-drove N" would otherwise stay on screen for as long as the tab is open.
    expect(await d.page()).toMatch(/<meta\s+http-equiv="refresh"\s+content="15;url=\/deliveries"/);
  });
});

describe('a re-drive of one delivery from the Deliveries page', () => {
  it('answers 409 naming the discard for an id whose job is gone from Redis', async () => {
    const d = await dashboard();
    const answer = fetch(`${d.base}/deliveries/redrive`, {
      method: 'POST',
      headers: { cookie: d.cookie, accept: 'application/json' },
      body: new URLSearchParams({ _csrf: d.csrf, jobId: 'job-1', lane: '1' }),
    });
    await expect.poll(() => d.asked.length).toBe(1);
    expect(d.asked[0]).toEqual({ filter: { jobId: 'job-1' }, lanes: [1] });
    d.end({ redriven: 0, skipped: 0, jobGone: { count: 1, ids: ['job-1'] } });
    const refused = await answer;
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      error: {
        code: 'NOT_REDRIVEN',
        message:
          "job job-1 is gone from Redis, but its id is still in lane 1's failed deliveries (which count it): there is nothing to re-drive; remove the id with commitlog discard --job job-1",
      },
    });
  });
});

describe("Bull Board's retry of one failed job", () => {
  const retryJob = (d: Awaited<ReturnType<typeof dashboard>>) =>
    fetch(
      `${d.base}${BOARD_PATH}/api/queues/${encodeURIComponent('lanes 0-1/{lane-0001}')}/job-1/retry`,
      { method: 'PUT', headers: { cookie: d.cookie, 'x-csrf-token': d.csrf } },
    );

  it('answers 204 when the job went back to its lane, and 409 when it had moved meanwhile', async () => {
    const d = await dashboard();
    const moved = retryJob(d);
    await expect.poll(() => d.asked.length).toBe(1);
    expect(d.asked[0]).toEqual({ filter: { jobId: 'job-1' }, lanes: [1] });
    d.end({ redriven: 1, skipped: 0 });
    expect((await moved).status).toBe(204);

    const gone = retryJob(d);
    await expect.poll(() => d.asked.length).toBe(2);
    d.end({ redriven: 0, skipped: 1 });
    const answer = await gone;
    expect(answer.status).toBe(409);
    expect(await answer.json()).toEqual({
      error: {
        code: 'NOT_REDRIVEN',
        message:
          'job job-1 was no longer a failed delivery when the re-drive reached it (re-driven by ' +
          'someone else, or removed after FAILED_RETENTION): nothing was moved',
      },
    });
    expect(d.audited.filter((a) => a.audit === 'board: redrive job')).toEqual([
      {
        audit: 'board: redrive job',
        user: 'ada',
        lane: 1,
        jobId: 'job-1',
        redriven: 1,
        skipped: 0,
      },
      {
        audit: 'board: redrive job',
        user: 'ada',
        lane: 1,
        jobId: 'job-1',
        redriven: 0,
        skipped: 1,
      },
    ]);
  });

  it('answers 409, moving nothing and logging no refusal, for a job that is no longer failed', async () => {
    const d = await dashboard();
    for (const [state, shown] of [
      ['waiting', 'waiting'],
      ['completed', 'completed'],
      ['unknown', 'gone'],
    ]) {
      d.setJobState(state!);
      const answer = await retryJob(d);
      expect(answer.status).toBe(409);
      expect(await answer.json()).toEqual({
        error: {
          code: 'NOT_REDRIVEN',
          message: `job job-1 is not a failed delivery (it is ${shown}: re-driven by someone else, delivered, or removed after FAILED_RETENTION): nothing was moved`,
        },
      });
    }
    expect(d.asked).toEqual([]);
    expect(d.audited.filter((a) => a.audit === 'board: refused')).toEqual([]);
  });
});

describe("Bull Board's retries commitlog refuses", () => {
  it('are logged as refused, with their method and path', async () => {
    const d = await dashboard();
    const lane = encodeURIComponent('lanes 0-1/{lane-0001}');
    const answer = await fetch(`${d.base}${BOARD_PATH}/api/queues/${lane}/retry/completed`, {
      method: 'PUT',
      headers: { cookie: d.cookie, 'x-csrf-token': d.csrf },
    });
    expect(answer.status).toBe(403);
    expect(d.asked).toEqual([]);
    expect(d.audited.filter((a) => a.audit === 'board: refused')).toEqual([
      {
        audit: 'board: refused',
        user: 'ada',
        method: 'PUT',
        path: `/api/queues/${lane}/retry/completed`,
        status: 403,
      },
    ]);
  });
});

describe("Bull Board's pause and resume", () => {
  it('are audited once Bull Board has answered, with its status', async () => {
    // Bull Board pausing lane after lane, and Redis going away part-way: a 500.
    const d = await dashboard((req, res) => {
      res.statusCode = req.url?.endsWith('/pause') ? 500 : 200;
      res.end();
    });
    const put = (path: string) =>
      fetch(`${d.base}${BOARD_PATH}/api/queues${path}`, {
        method: 'PUT',
        headers: { cookie: d.cookie, 'x-csrf-token': d.csrf },
      });
    expect((await put('/pause')).status).toBe(500);
    expect((await put(`/${encodeURIComponent('lanes 0-1/{lane-0001}')}/resume`)).status).toBe(200);
    await expect
      .poll(() => d.audited.filter((a) => String(a.audit).startsWith('board: ')))
      .toEqual([
        { audit: 'board: pause all lanes', user: 'ada', status: 500 },
        { audit: 'board: resume lane', user: 'ada', lane: 1, status: 200 },
      ]);
    expect(d.recorded).toEqual([
      { by: 'ada', action: 'board: pause all lanes', detail: { status: 500 } },
      { by: 'ada', action: 'board: resume lane', detail: { lane: 1, status: 200 } },
    ]);
  });

  it('refuse any other spelling of their paths, which the audit would name wrongly', async () => {
    // Bull Board's router takes these too (it ignores case and a trailing slash): a pause the
    // audit called a resume.
    const reached: string[] = [];
    const d = await dashboard((req, res) => {
      reached.push(req.url ?? '');
      res.end();
    });
    const lane = encodeURIComponent('lanes 0-1/{lane-0001}');
    for (const path of [
      '/PAUSE',
      '/pause/',
      `/${lane}/Pause`,
      `/${lane}/pause/`,
      `/${lane}/RETRY/failed`,
    ]) {
      const answer = await fetch(`${d.base}${BOARD_PATH}/api/queues${path}`, {
        method: 'PUT',
        headers: { cookie: d.cookie, 'x-csrf-token': d.csrf },
      });
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
    }
    // A lane Bull Board does not have (this dashboard has 2), or no lane at all: not found.
    for (const name of ['lanes 0-1/{lane-5000}', `lanes 0-1/{lane-${'9'.repeat(400)}}`]) {
      for (const action of ['pause', 'retry/failed']) {
        const answer = await fetch(
          `${d.base}${BOARD_PATH}/api/queues/${encodeURIComponent(name)}/${action}`,
          { method: 'PUT', headers: { cookie: d.cookie, 'x-csrf-token': d.csrf } },
        );
        expect({ name, action, status: answer.status }).toEqual({ name, action, status: 404 });
      }
    }
    expect(reached).toEqual([]);
    expect(d.asked).toEqual([]);
    // No action on record, in the log or the trail; each refusal is in the log, by its path.
    const refusals = d.audited.filter((a) => a.audit === 'board: refused');
    expect(d.audited.filter((a) => String(a.audit).startsWith('board: '))).toEqual(refusals);
    expect(refusals).toHaveLength(5);
    expect(refusals[0]).toEqual({
      audit: 'board: refused',
      user: 'ada',
      method: 'PUT',
      path: '/api/queues/PAUSE',
      status: 403,
    });
    expect(d.recorded).toEqual([]);
  });
});

describe('a re-drive sent with a signed-out session', () => {
  it('cannot read the running re-drive while Redis is down, when its sign-out cannot be checked', async () => {
    let up = true;
    let signedOut = false;
    const d = await dashboard(undefined, { up: () => up, signedOut: () => signedOut });
    expect((await d.redriveReason('expired')).status).toBe(202);
    expect((await d.current()).run).toMatchObject({ state: 'running', by: 'ada' });
    // A copy of the cookie outlives the sign-out; Redis then goes away, so the sign-out cannot
    // be checked and the session is let through: the run (who, what, how far) is refused.
    signedOut = true;
    up = false;
    const answer = await fetch(`${d.base}/api/redrive`, { headers: { cookie: d.cookie } });
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    up = true;
    expect((await fetch(`${d.base}/api/redrive`, { headers: { cookie: d.cookie } })).status).toBe(
      401,
    );
    d.end({ redriven: 0, skipped: 0 });
  });

  it('is refused when Redis comes back while its body arrives', async () => {
    let up = true;
    let signedOut = false;
    let upAsked = 0;
    const d = await dashboard(undefined, {
      up: () => (upAsked++, up),
      signedOut: () => signedOut,
    });
    // A copy of the cookie (and its form's token) outlives the sign-out; Redis then goes away.
    signedOut = true;
    up = false;
    const { port } = new URL(d.base);
    const body = new URLSearchParams({ _csrf: d.csrf, reason: 'expired' }).toString();
    const request = httpRequest({
      host: '127.0.0.1',
      port: Number(port),
      path: '/deliveries/redrive',
      method: 'POST',
      headers: {
        cookie: d.cookie,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    });
    const answered = new Promise<IncomingMessage>((resolve) => request.on('response', resolve));
    const asked = upAsked;
    request.flushHeaders();
    // The session was let through unchecked (Redis down); Redis is back before the body is in.
    while (upAsked === asked) await new Promise((resolve) => setTimeout(resolve, 5));
    up = true;
    request.end(body);
    const response = await answered;
    response.resume();
    expect(response.statusCode).toBe(401);
    expect(d.asked).toEqual([]);
  });
});
