// The dashboard in a real browser (Debian's Chromium driven by playwright-core) over a system that
// really failed: a commit expired while its topic did not exist (a broker of the test's own, which
// creates no topic by itself), and a worker process was SIGKILLed holding another (a real stall). A viewer
// sees both and cannot re-drive; an admin re-drives the expired one, which then reaches Kafka.
// Screenshots go to .artifacts/screenshots/ (git-ignored).
import { defaultTopic } from '@commitlog/core';
import {
  createRedisConnection,
  readDeliveryOverview,
  type RedisConnection,
} from '@commitlog/queue';
import {
  putCommit,
  startHangingLaneWorker,
  startPrivateKafka,
  startSystem,
  uniqueName,
  waitFor,
  type PrivateKafka,
  type RunningSystem,
} from '@commitlog/testkit';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardProcess, type DashboardProcess } from './support/dashboard-process.ts';
import { header, readUntil, withAdmin } from './support/kafka-check.ts';

const screenshots = fileURLToPath(new URL('../.artifacts/screenshots/', import.meta.url));
const run = uniqueName('ui');
const expiredBucket = `payments-${run}`;
const stalledBucket = `ledger-${run}`;
const missingTopic = defaultTopic('default', expiredBucket);
const USERS = [
  { name: 'vera', role: 'viewer' as const, password: 'viewer-password-1' },
  { name: 'ada', role: 'admin' as const, password: 'admin-password-1' },
];

/** Chromium as this machine runs it: no sandbox as root, and no calls home (the network is closed). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('the dashboard in a browser', () => {
  let kafka: PrivateKafka;
  let system: RunningSystem;
  let redis: RedisConnection;
  let dashboard: DashboardProcess;
  let browser: Browser;
  let expired: { id: string; lane: number };
  let stalled: { id: string; lane: number };

  /**
   * Every request a page sent to another origin than the dashboard's (fonts, scripts, …), and
   * how it ended; those the page's policy stopped in the browser are not sent.
   */
  const elsewhere: string[] = [];

  async function signIn(user: (typeof USERS)[number]): Promise<Page> {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    const away = (url: string) => new URL(url).origin !== new URL(dashboard.url).origin;
    page.on('requestfinished', (request) => {
      if (away(request.url())) elsewhere.push(`${request.url()} (sent)`);
    });
    page.on('requestfailed', (request) => {
      // Stopped in the browser by the page's Content-Security-Policy: never sent.
      const error = request.failure()?.errorText;
      if (away(request.url()) && error !== 'csp') elsewhere.push(`${request.url()} (${error})`);
    });
    await page.goto(`${dashboard.url}/deliveries`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('User').fill(user.name);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${dashboard.url}/deliveries`);
    await expect.poll(() => page.getByText(`${user.name} (${user.role})`).count()).toBe(1);
    return page;
  }

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    kafka = await startPrivateKafka({ autoCreateTopics: false });
    await withAdmin(kafka.brokers, (a) => a.createTopic(defaultTopic('default', stalledBucket)));
    system = await startSystem({
      workers: 0,
      kafkaBrokers: kafka.brokers,
      env: { COMMIT_TTL: '15s' },
    });
    redis = createRedisConnection({ url: system.redisUrl, role: 'worker', onError: () => {} });

    // A real stall: a worker takes the commit and is killed holding it.
    const first = await system.post(putCommit({ bucket: stalledBucket, key: 'stuck' }));
    stalled = first.body as { id: string; lane: number };
    const doomed = startHangingLaneWorker({
      redisUrl: system.redisUrl,
      prefix: system.prefix,
      lane: stalled.lane,
      workerName: 'doomed-pod:7',
      lockMs: 4000,
    });
    await doomed.taken(stalled.id);
    await doomed.kill();

    const second = await system.post(putCommit({ bucket: expiredBucket, key: 'late' }));
    expect(second.status).toBe(202);
    expired = second.body as { id: string; lane: number };
    await system.startWorker(); // delivers the stalled commit, retries the other until it expires

    dashboard = await startDashboardProcess({
      redisUrl: system.redisUrl,
      prefix: system.prefix,
      lanes: 8,
      users: USERS,
    });
    let last = '';
    await waitFor(
      async () => {
        const o = await readDeliveryOverview(redis, system.prefix, 8);
        last = JSON.stringify({ failed: o.failedByReason, stalls: o.stalls, held: o.held });
        const stall = o.stalls.find((s) => s.jobId === stalled.id);
        return o.failedByReason[0]?.reason === 'expired' && stall?.state === 'delivered';
      },
      { timeoutMs: 60_000, description: 'the expiry and the delivered stall' },
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; last overview: ${last}\n${system.workers[0]?.output()}`,
      );
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    redis?.disconnect();
    await system?.stop();
    await kafka?.cleanup();
  });

  it('shows a viewer the expired delivery and the stall, with no way to re-drive', async () => {
    const page = await signIn(USERS[0]!);
    const reason = page.locator('tr[data-reason="expired"]');
    await expect.poll(() => reason.innerText()).toMatch(/expired[\s\S]*\t1\t/);
    const stall = page.locator(`tr[data-job="${stalled.id}"]`).first();
    await expect.poll(() => stall.innerText()).toContain('doomed-pod:7');
    expect(await stall.innerText()).toContain('delivered');
    expect(await page.locator(`tr[data-job="${expired.id}"]`).first().innerText()).toContain(
      `default/${expiredBucket}/late`,
    );
    expect(await page.getByRole('button', { name: /Re-drive/ }).count()).toBe(0);
    await page.screenshot({
      path: join(screenshots, 'deliveries-overview-viewer.png'),
      fullPage: true,
    });

    // The form is not there, and the action itself is refused.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const attempt = await page.request.post(`${dashboard.url}/deliveries/redrive`, {
      form: { _csrf: csrf, reason: 'expired' },
      headers: { accept: 'application/json' },
    });
    expect(attempt.status()).toBe(403);

    // Bull Board's job view, from the row's link: read-only, the value redacted.
    await page.locator(`tr[data-job="${expired.id}"] a`).first().click();
    await page.waitForURL(/\/queues\/queue\//);
    await expect
      .poll(() => page.getByText(`${expiredBucket}/late`).count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await page.getByText('Data', { exact: true }).click();
    await expect
      .poll(() => page.getByText('[redacted: ', { exact: false }).count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect(await page.content()).not.toContain('eyJuIjo'); // base64 of the value, {"n":…}
    await page.screenshot({ path: join(screenshots, 'bull-board-job-viewer.png'), fullPage: true });
  });

  it('lets an admin re-drive the expired delivery, which then reaches Kafka', async () => {
    const page = await signIn(USERS[1]!);
    await page.screenshot({
      path: join(screenshots, 'deliveries-overview-admin.png'),
      fullPage: true,
    });
    // The cause is fixed: the topic exists now.
    await withAdmin(kafka.brokers, (a) => a.createTopic(missingTopic));

    await page
      .locator('tr[data-reason="expired"]')
      .getByRole('button', { name: 'Re-drive all 1' })
      .click();
    await page.waitForURL(/\/deliveries$/);
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Re-drove 1 delivery');

    const records = await readUntil(kafka.brokers, [missingTopic], (r) => r.length >= 1);
    expect(records).toHaveLength(1);
    expect(header(records[0]!, 'commitlog-id')).toBe(expired.id);

    await expect
      .poll(
        async () => {
          await page.goto(`${dashboard.url}/deliveries`);
          return page.getByText('No failed deliveries.').count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await page.screenshot({
      path: join(screenshots, 'deliveries-overview-after-redrive.png'),
      fullPage: true,
    });

    await page.goto(`${dashboard.url}/queues`);
    await expect
      .poll(() => page.getByText('lanes 0-7').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => page.getByText('Loading').count(), { timeout: 20_000 }).toBe(0);
    await page.screenshot({
      path: join(screenshots, 'bull-board-lanes-admin.png'),
      fullPage: true,
    });
    // Bull Board's page asks Google for its fonts; the dashboard's policy keeps every page on
    // its own origin (no third party learns who opens it).
    expect(elsewhere).toEqual([]);
  });
});
