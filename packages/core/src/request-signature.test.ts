import { describe, expect, it } from 'vitest';
import { SignatureError, signRequest, verifyRequestSignature } from './request-signature.ts';

const body = Buffer.from('{"key":"txn-1"}');
const now = 1_764_000_000;

function verify(
  header: string | undefined,
  overrides: Partial<Parameters<typeof verifyRequestSignature>[0]> = {},
) {
  verifyRequestSignature({
    header,
    body,
    secrets: ['s3cr3t'],
    nowSeconds: now,
    maxAgeSeconds: 300,
    ...overrides,
  });
}

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof SignatureError ? error.code : 'NOT_A_SIGNATURE_ERROR';
  }
}

describe('request signature', () => {
  it('matches the vector the Erlang hook is tested with', () => {
    expect(signRequest('s3cr3t', body, now)).toBe(
      't=1764000000,v1=31c176359f9c22f2fc953df0eb83f8e02aa50e5540051547284639184aca107a',
    );
  });

  it('accepts a valid signature, with either secret during a rotation', () => {
    expect(code(() => verify(signRequest('s3cr3t', body, now)))).toBeUndefined();
    expect(
      code(() =>
        verify(signRequest('new-secret', body, now), { secrets: ['s3cr3t', 'new-secret'] }),
      ),
    ).toBeUndefined();
  });

  it('takes the MAC in capital hex digits as well', () => {
    const [t, v1] = signRequest('s3cr3t', body, now).split(',v1=');
    expect(code(() => verify(`${t},v1=${v1!.toUpperCase()}`))).toBeUndefined();
  });

  it('takes a signature made anywhere within the replay window, its edges included', () => {
    // A Riak node whose clock is a few seconds off must not have every commit refused.
    for (const skew of [-300, -299, -5, 5, 299, 300]) {
      expect(
        code(() => verify(signRequest('s3cr3t', body, now + skew))),
        String(skew),
      ).toBe(undefined);
    }
  });

  it('refuses missing, malformed, stale, future and wrong signatures with distinct codes', () => {
    expect(code(() => verify(undefined))).toBe('SIGNATURE_MISSING');
    expect(code(() => verify('v1=abc'))).toBe('SIGNATURE_MALFORMED');
    expect(code(() => verify('t=1764000000,v1=zz'))).toBe('SIGNATURE_MALFORMED');
    expect(code(() => verify(signRequest('s3cr3t', body, now - 301)))).toBe('SIGNATURE_EXPIRED');
    expect(code(() => verify(signRequest('s3cr3t', body, now + 301)))).toBe('SIGNATURE_EXPIRED');
    expect(code(() => verify(signRequest('other', body, now)))).toBe('SIGNATURE_INVALID');
    expect(code(() => verify(signRequest('s3cr3t', Buffer.from('{"key":"txn-2"}'), now)))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('signs the exact bytes: one changed byte, or another timestamp, breaks it', () => {
    const header = signRequest('s3cr3t', body, now);
    expect(code(() => verify(header))).toBeUndefined();
    // One bit of one byte, at every position of the body: the first, the last, and between.
    for (let at = 0; at < body.length; at++) {
      const changed = Buffer.from(body);
      changed[at] = changed[at]! ^ 0x01;
      expect(
        code(() => verify(header, { body: changed })),
        `byte ${at}`,
      ).toBe('SIGNATURE_INVALID');
    }
    const tampered = header.replace('t=1764000000', 't=1764000001');
    expect(code(() => verify(tampered))).toBe('SIGNATURE_INVALID');
  });
});
