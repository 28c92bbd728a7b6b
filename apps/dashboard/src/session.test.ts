import type { DashboardUser } from '@commitlog/runtime';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { authenticate, sessionBinding, userOf } from './auth.ts';
import { parseCookies, sessionCookie } from './cookies.ts';
import { createSessionCodec } from './session.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters';

describe('session tokens', () => {
  it('reads back what it issued until it expires', () => {
    let now = 1_000;
    const codec = createSessionCodec({ secret: SECRET, ttlMs: 60_000, now: () => now });
    const token = codec.issue('ops', 'admin:h1');
    expect(codec.read(token)).toMatchObject({
      name: 'ops',
      expiresAt: 61_000,
      binding: codec.bindingOf('admin:h1'),
    });
    expect(codec.bindingOf('admin:h2')).not.toBe(codec.bindingOf('admin:h1'));
    now = 61_000;
    expect(codec.read(token)).toBeUndefined();
  });

  it('refuses a token signed with another secret, edited, or malformed', () => {
    const codec = createSessionCodec({ secret: SECRET, ttlMs: 60_000 });
    const other = createSessionCodec({ secret: `${SECRET}-other`, ttlMs: 60_000 });
    const token = codec.issue('viewer', 'viewer:h1');
    expect(other.read(token)).toBeUndefined();
    const [payload, signature] = token.split('.');
    const admin = Buffer.from(
      Buffer.from(payload!, 'base64url').toString().replace('viewer', 'admin'),
    ).toString('base64url');
    expect(codec.read(`${admin}.${signature}`)).toBeUndefined();
    for (const bad of [undefined, '', 'x', 'a.b.c', `${payload}.`])
      expect(codec.read(bad)).toBeUndefined();
  });

  it('gives each session its own CSRF token and checks it', () => {
    const codec = createSessionCodec({ secret: SECRET, ttlMs: 60_000 });
    const [a, b] = [codec.issue('ops', 'admin:h1'), codec.issue('ops', 'admin:h1')];
    expect(codec.csrfToken(a)).not.toBe(codec.csrfToken(b));
    expect(codec.checkCsrf(a, codec.csrfToken(a))).toBe(true);
    expect(codec.checkCsrf(a, codec.csrfToken(b))).toBe(false);
    expect(codec.checkCsrf(a, undefined)).toBe(false);
    expect(codec.checkCsrf(a, ['x'])).toBe(false);
  });
});

describe('authenticate', () => {
  const codec = createSessionCodec({ secret: SECRET, ttlMs: 60_000 });
  const ops: DashboardUser = { name: 'ops', role: 'admin', passwordHash: 'scrypt:old' };
  const noSignOuts = {
    revocations: { revoke: () => Promise.resolve(), isRevoked: () => Promise.resolve(false) },
    isRedisUp: () => true,
  };

  /** What `authenticate` made of a request with `token`: the user, or the status it answered. */
  async function outcome(
    users: DashboardUser[],
    token: string,
    signOuts: Parameters<typeof authenticate>[2] = noSignOuts,
  ) {
    let status: number | undefined;
    const res = {
      locals: {},
      status(code: number) {
        status = code;
        return this;
      },
      json() {
        return this;
      },
    } as unknown as Response;
    const req = {
      headers: { cookie: `${codec.cookieName}=${token}` },
      accepts: () => 'json',
    } as unknown as Request;
    await new Promise<void>((resolve) => {
      const done = res.json.bind(res);
      res.json = ((body: unknown) => {
        resolve();
        return done(body);
      }) as Response['json'];
      authenticate(users, codec, signOuts)(req, res, () => resolve());
    });
    return { user: userOf(res), status };
  }

  it('ends a session when the user is removed, or their password or role changes', async () => {
    const token = codec.issue('ops', sessionBinding(ops));
    expect((await outcome([ops], token)).user).toMatchObject({ name: 'ops', role: 'admin' });
    expect((await outcome([], token)).user).toBeUndefined();
    expect((await outcome([{ ...ops, passwordHash: 'scrypt:new' }], token)).user).toBeUndefined();
    expect((await outcome([{ ...ops, role: 'viewer' }], token)).user).toBeUndefined();
  });

  it('refuses a signed-out session, and answers 503 when Redis cannot say whether it is', async () => {
    const token = codec.issue('ops', sessionBinding(ops));
    const signedOut = new Set([codec.read(token)!.nonce]);
    const revocations = {
      revoke: () => Promise.resolve(),
      isRevoked: (s: { nonce: string }) => Promise.resolve(signedOut.has(s.nonce)),
    };
    expect(
      (await outcome([ops], token, { revocations, isRedisUp: () => true })).user,
    ).toBeUndefined();
    const other = codec.issue('ops', sessionBinding(ops));
    expect(
      (await outcome([ops], other, { revocations, isRedisUp: () => true })).user,
    ).toMatchObject({
      name: 'ops',
    });
    const failing = { ...revocations, isRevoked: () => Promise.reject(new Error('timeout')) };
    expect(await outcome([ops], token, { revocations: failing, isRedisUp: () => true })).toEqual({
      user: undefined,
      status: 503,
    });
    // Redis down: nothing a session reaches works, so the session is not refused for it.
    expect(
      (await outcome([ops], token, { revocations: failing, isRedisUp: () => false })).user,
    ).toMatchObject({
      name: 'ops',
    });
  });
});

describe('the session cookie name', () => {
  it('takes the __Host- prefix when Secure, so no sibling host can plant one', () => {
    expect(createSessionCodec({ secret: SECRET, ttlMs: 1, secure: true }).cookieName).toBe(
      '__Host-commitlog_session',
    );
    expect(createSessionCodec({ secret: SECRET, ttlMs: 1 }).cookieName).toBe('commitlog_session');
  });
});

describe('cookies', () => {
  it('parses a Cookie header and skips what is malformed', () => {
    const cookies = parseCookies('a=1; commitlog_session=x%2Fy; junk; b=%E0%A4%A');
    expect(cookies.get('a')).toBe('1');
    expect(cookies.get('commitlog_session')).toBe('x/y');
    expect(cookies.has('b')).toBe(false);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('writes an HttpOnly, SameSite=Strict session cookie, Secure when asked', () => {
    expect(sessionCookie('s', 'v/1', { maxAgeS: 60, secure: false })).toBe(
      's=v%2F1; Path=/; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(sessionCookie('s', '', { maxAgeS: 0, secure: true })).toMatch(/Max-Age=0; Secure$/);
  });
});
