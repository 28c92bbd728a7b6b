import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import type { SignedInUser } from './auth.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { createSessionHandlers } from './session-handlers.ts';
import type { SessionRevocations } from './session-revocations.ts';
import { createSessionCodec } from './session.ts';

const codec = createSessionCodec({ secret: 'a-session-secret-of-32-characters!!', ttlMs: 60_000 });

/** Signs `user` out through the handler; what it answered and audited. */
async function signOut(revocations: SessionRevocations) {
  const audited: Record<string, unknown>[] = [];
  const handlers = createSessionHandlers({
    users: [{ name: 'ada', role: 'admin', passwordHash: 'scrypt:test' }],
    sessions: codec,
    revocations,
    throttle: createLoginThrottle(),
    secureCookie: false,
    verifyPassword: () => Promise.resolve(false),
    audit: (event, detail) => void audited.push({ event, ...detail }),
  });
  const token = codec.issue('ada', 'admin:scrypt:test');
  const user: SignedInUser = {
    name: 'ada',
    role: 'admin',
    sessionToken: token,
    csrfToken: codec.csrfToken(token),
    session: codec.read(token)!,
  };
  const answer: { status?: number; headers: Record<string, string>; body?: unknown } = {
    headers: {},
  };
  const res = {
    locals: { user },
    setHeader: (name: string, value: string) => void (answer.headers[name] = value),
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
    redirect(code: number, to: string) {
      answer.status = code;
      answer.headers.location = to;
    },
  } as unknown as Response;
  await handlers.logout({ accepts: () => 'json' } as unknown as Request, res);
  return { answer, audited, nonce: user.session.nonce };
}

describe('sign-out', () => {
  it('records the session as signed out, then clears the cookie', async () => {
    const revoked: string[] = [];
    const { answer, audited, nonce } = await signOut({
      revoke: (s) => Promise.resolve(void revoked.push(s.nonce)),
      isRevoked: () => Promise.resolve(false),
    });
    expect(revoked).toEqual([nonce]);
    expect(answer.status).toBe(303);
    expect(answer.headers['Set-Cookie']).toMatch(/^commitlog_session=; .*Max-Age=0/);
    expect(audited).toEqual([{ event: 'signed out', user: 'ada', revoked: true }]);
  });

  it('says that a copy stays valid when Redis does not take the sign-out', async () => {
    const { answer, audited } = await signOut({
      revoke: () => Promise.reject(new Error('Connection is closed.')),
      isRevoked: () => Promise.resolve(false),
    });
    // The cookie goes from this browser all the same.
    expect(answer.headers['Set-Cookie']).toMatch(/Max-Age=0/);
    expect(answer.status).toBe(503);
    const { error } = answer.body as { error: { code: string; message: string } };
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/a copy of this session stays valid until \d{4}-/);
    expect(audited).toEqual([{ event: 'signed out', user: 'ada', revoked: false }]);
  });
});

/** Signs `username` in with a wrong password from 10.0.0.1; the status it was answered. */
async function signInWrongly(
  handlers: ReturnType<typeof createSessionHandlers>,
  username: string,
): Promise<number | undefined> {
  let answered: number | undefined;
  const res = {
    setHeader: () => undefined,
    status(code: number) {
      answered = code;
      return this;
    },
    type() {
      return this;
    },
    send: () => undefined,
  } as unknown as Response;
  await handlers.login({ body: { username, password: 'wrong' }, ip: '10.0.0.1' } as Request, res);
  return answered;
}

describe('failed sign-ins', () => {
  it('are audited each, and the block they start once, not each attempt it refuses', async () => {
    const audited: Record<string, unknown>[] = [];
    const handlers = createSessionHandlers({
      users: [{ name: 'ada', role: 'admin', passwordHash: 'h' }],
      sessions: codec,
      revocations: { revoke: () => Promise.resolve(), isRevoked: () => Promise.resolve(false) },
      throttle: createLoginThrottle({ maxFailures: 2 }),
      secureCookie: false,
      verifyPassword: () => Promise.resolve(false),
      audit: (event, detail) => void audited.push({ event, ...detail }),
    });
    const statuses = [];
    for (let n = 0; n < 4; n++) statuses.push(await signInWrongly(handlers, 'ada'));
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect(audited.map((a) => a.event)).toEqual([
      'sign-in refused',
      'sign-in refused',
      'sign-in blocked',
    ]);
    expect(audited[2]).toMatchObject({ user: 'ada', client: '10.0.0.1' });
    expect(audited[2]?.blockedForMs).toBeGreaterThan(0);
  });
});

describe('sign-in timing', () => {
  it('answers a user whose hash is cheaper no sooner than an unknown name', async () => {
    // A virtual clock: the costliest hash's check takes 150 ms, the older, cheaper one's 30.
    let t = 0;
    const waits: number[] = [];
    const users = [
      { name: 'ada', role: 'admin' as const, passwordHash: 'costly' },
      { name: 'old', role: 'viewer' as const, passwordHash: 'cheap' },
    ];
    const handlers = createSessionHandlers({
      users,
      sessions: codec,
      revocations: { revoke: () => Promise.resolve(), isRevoked: () => Promise.resolve(false) },
      throttle: createLoginThrottle(),
      secureCookie: false,
      verifyPassword: (_password, hash) => {
        t += hash === 'cheap' ? 30 : 150;
        return Promise.resolve(false);
      },
      audit: () => undefined,
      now: () => t,
      sleep: (ms) => {
        waits.push(ms);
        t += ms;
        return Promise.resolve();
      },
    });
    // The check made at start-up.
    await new Promise((resolve) => setImmediate(resolve));
    const signIn = async (username: string) => {
      const started = t;
      await signInWrongly(handlers, username);
      return t - started;
    };
    expect(await signIn('nobody')).toBe(150);
    expect(await signIn('old')).toBe(150);
    expect(waits).toEqual([120]);
    expect(await signIn('ada')).toBe(150);
  });
});
