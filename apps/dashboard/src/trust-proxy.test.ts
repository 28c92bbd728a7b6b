// The sign-in throttle behind a proxy: who the client is, with and without DASHBOARD_TRUST_PROXY.
import { createLogger } from '@commitlog/runtime';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardApp } from './dashboard-app.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { createRedriveRunner } from './redrive-runner.ts';
import { createSessionCodec } from './session.ts';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function dashboard(trustProxy: number | string[] | undefined): Promise<string> {
  const app = createDashboardApp({
    users: [{ name: 'ada', role: 'admin', passwordHash: 'scrypt:test' }],
    sessions: createSessionCodec({ secret: 'a-session-secret-of-32-characters!!', ttlMs: 60_000 }),
    revocations: { revoke: () => Promise.resolve(), isRevoked: () => Promise.resolve(false) },
    throttle: createLoginThrottle({ maxFailuresPerAddress: 3 }),
    secureCookie: false,
    verifyPassword: (password) => Promise.resolve(password === 'the-right-password'),
    boards: { admin: (_req, res) => res.end(), viewer: (_req, res) => res.end() },
    laneCount: 1,
    readRecordedLaneCount: () => Promise.resolve(undefined),
    readOverview: () => Promise.reject(new Error('not used')),
    redrive: () => Promise.reject(new Error('not used')),
    recordAction: () => Promise.resolve(),
    runner: createRedriveRunner(),
    jobState: () => Promise.resolve('unknown'),
    isRedisUp: () => true,
    logger: createLogger({ service: 'dashboard', level: 'silent' }),
    trustProxy,
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A sign-in through a proxy on this machine, for the client it names. */
function signIn(base: string, client: string, username: string, password: string) {
  return fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'x-forwarded-for': client },
    body: new URLSearchParams({ username, password }),
    redirect: 'manual',
  });
}

async function junkFrom(base: string, client: string): Promise<void> {
  for (let i = 0; i < 3; i++)
    expect((await signIn(base, client, `junk-${i}`, 'x')).status).toBe(401);
}

describe('the sign-in throttle behind a proxy', () => {
  it('counts each client the trusted proxy names, so one cannot lock out another', async () => {
    const base = await dashboard(['loopback']);
    await junkFrom(base, '203.0.113.7');
    expect((await signIn(base, '203.0.113.7', 'ada', 'the-right-password')).status).toBe(429);
    expect((await signIn(base, '198.51.100.9', 'ada', 'the-right-password')).status).toBe(303);
  });

  it('without DASHBOARD_TRUST_PROXY, takes the proxy itself for every client', async () => {
    const base = await dashboard(undefined);
    await junkFrom(base, '203.0.113.7');
    expect((await signIn(base, '198.51.100.9', 'ada', 'the-right-password')).status).toBe(429);
  });
});

describe('cross-site checks behind a proxy that rewrites Host', () => {
  /** A sign-in as a browser at https://dash.example.com sends it, through such a proxy. */
  function browserSignIn(base: string, headers: Record<string, string>) {
    return fetch(`${base}/login`, {
      method: 'POST',
      headers: { origin: 'https://dash.example.com', ...headers },
      body: new URLSearchParams({ username: 'ada', password: 'the-right-password' }),
      redirect: 'manual',
    });
  }

  it('believes the browser that says the request is same-origin', async () => {
    const base = await dashboard(undefined);
    expect((await browserSignIn(base, { 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await browserSignIn(base, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it('compares Origin with the forwarded host only from a trusted proxy', async () => {
    const forwarded = { 'x-forwarded-host': 'dash.example.com' };
    expect((await browserSignIn(await dashboard(['loopback']), forwarded)).status).toBe(303);
    expect((await browserSignIn(await dashboard(undefined), forwarded)).status).toBe(403);
  });
});

describe('security headers', () => {
  it('come with every answer past /healthz: refusals, the 404 page, JSON and redirects too', async () => {
    const base = await dashboard(undefined);
    const answers = [
      await fetch(`${base}/nope`, { headers: { accept: 'text/html' } }),
      await fetch(`${base}/api/overview`),
      await fetch(`${base}/login`),
      await fetch(`${base}/`, { redirect: 'manual' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 401, 200, 303]);
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});
