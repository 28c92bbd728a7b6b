import { scryptHashAtCost } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import {
  dashboardUsers,
  hashPassword,
  unmatchableHash,
  usersBelowHashCost,
  verifyPassword,
  WeakPasswordError,
} from './dashboard-users.ts';

describe('hashPassword and verifyPassword', () => {
  it('verifies the password it hashed, and no other', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt:16384:8:5:[\w-]{22}:[\w-]{43}$/);
    expect(hash).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts each hash', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same password!'),
      hashPassword('same password!'),
    ]);
    expect(a).not.toBe(b);
  });

  it('refuses a short password', async () => {
    await expect(hashPassword('short')).rejects.toThrow(WeakPasswordError);
    await expect(hashPassword('short')).rejects.toThrow('at least 12');
  });

  it('matches nothing against a malformed hash or an unsafe cost', async () => {
    expect(await verifyPassword('anything at all', 'plaintext')).toBe(false);
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash.replace(':16384:', ':1000:'))).toBe(
      false,
    );
    expect(
      await verifyPassword('correct horse battery', hash.replace(':16384:', ':4194304:')),
    ).toBe(false);
  });

  it('refuses at start-up a hash whose key is not 32 bytes, which no password could match', async () => {
    const hash = await hashPassword('correct horse battery');
    const longKey = `${hash}${'A'.repeat(11)}`;
    expect(dashboardUsers(`ada:admin:${hash}`).ok).toBe(true);
    expect(dashboardUsers(`ada:admin:${longKey}`).ok).toBe(false);
    expect(dashboardUsers(`ada:admin:${hash.slice(0, -1)}`).ok).toBe(false);
  });
});

describe('costs a sign-in cannot afford', () => {
  it('refuses at start-up a hash whose scrypt would need more memory than allowed', async () => {
    const hash = await hashPassword('correct horse battery');
    for (const cost of [':1048576:8:', ':1048576:32:', ':262144:8:']) {
      const users = dashboardUsers(`ada:admin:${hash.replace(':16384:8:', cost)}`);
      expect(users.ok, cost).toBe(false);
    }
    expect(dashboardUsers(`ada:admin:${hash.replace(':16384:8:', ':131072:8:')}`).ok).toBe(true);
  });

  it("checks unknown names at the costliest user's cost", async () => {
    const hash = await hashPassword('correct horse battery');
    const costly = hash.replace(':16384:8:5:', ':131072:8:1:');
    expect(unmatchableHash([hash, costly])).toMatch(/^scrypt:131072:8:1:/);
    expect(unmatchableHash([])).toMatch(/^scrypt:16384:8:5:/);
    expect(await verifyPassword('', unmatchableHash([hash]))).toBe(false);
  });

  it('still verifies a hash of the earlier, lower cost, and names its user', async () => {
    const hash = await hashPassword('correct horse battery');
    // What `hash-password` printed before the cost was raised: N=2^14, r=8, p=1.
    const older = await scryptHashAtCost('correct horse battery', { N: 16_384, r: 8, p: 1 });
    expect(await verifyPassword('correct horse battery', older)).toBe(true);
    const users = dashboardUsers(`ada:admin:${older},eve:viewer:${hash}`);
    expect(users.ok && usersBelowHashCost(users.value)).toEqual(['ada']);
    // With only older hashes, an unknown name costs what a known one does, not more.
    expect(unmatchableHash([older])).toMatch(/^scrypt:16384:8:1:/);
  });
});

describe('dashboardUsers', () => {
  it('reads entries separated by commas or new lines', async () => {
    const hash = await hashPassword('correct horse battery');
    const parsed = dashboardUsers(`ops:admin:${hash},\n eve:viewer:${hash}\n`);
    expect(parsed).toEqual({
      ok: true,
      value: [
        { name: 'ops', role: 'admin', passwordHash: hash },
        { name: 'eve', role: 'viewer', passwordHash: hash },
      ],
    });
  });

  it('says what an entry lacks', () => {
    expect(dashboardUsers(' , ')).toEqual({
      ok: false,
      message: 'must hold comma-separated name:role:hash entries, role viewer or admin',
    });
    expect(dashboardUsers('ops:root:x')).toMatchObject({
      ok: false,
      message:
        'user 1: the role must be viewer or admin (the entry is not shown: it may be a password)',
    });
  });

  it('never repeats part of a password with two colons in it', () => {
    const parsed = dashboardUsers('S3cr3tPart:moresecret:evenmore');
    expect(parsed.ok).toBe(false);
    expect(JSON.stringify(parsed)).not.toMatch(/S3cr3tPart|moresecret|evenmore/);
  });

  it('never repeats an entry that is not name:role:hash, such as a password pasted in', () => {
    const parsed = dashboardUsers('Xk9-rT2.qq,Zp7:x');
    expect(parsed).toEqual({
      ok: false,
      message:
        'user 1: must be name:role:hash (the entry is not shown: it may be a password); ' +
        'user 2: must be name:role:hash (the entry is not shown: it may be a password)',
    });
  });

  it('names at most three problems', () => {
    const parsed = dashboardUsers('a,b,c,d,e');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(
      /^user 1: must be.*; user 3: must be[^;]*; and 2 more$/,
    );
  });
});
