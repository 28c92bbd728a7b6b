import { CommitlogError } from '@commitlog/core';
import {
  randomBytes,
  scrypt as scryptCallback,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import type { Parsed, Parser } from './env-values.ts';

/** What a dashboard user may do: look (viewer), or also re-drive deliveries (admin). */
export type DashboardRole = 'viewer' | 'admin';

/** One entry of `DASHBOARD_USERS`. */
export interface DashboardUser {
  name: string;
  role: DashboardRole;
  /** `scrypt:N:r:p:<salt>:<hash>`, base64url; never the password. */
  passwordHash: string;
}

/** Passwords shorter than this are refused when hashing: the dashboard can re-drive payments. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * scrypt's cost for new hashes: OWASP's least for scrypt at 16 MiB of memory (N=2^14, r=8, p=5,
 * which it rates as strong as N=2^17, r=8, p=1 at 128 MiB). About 160 ms of one core per sign-in
 * on the build machine. Memory is kept at 16 MiB: an unknown name is checked at full cost too,
 * and Node runs four scrypts at once, so a flood of sign-ins holds at most 64 MiB. Hashes keep
 * their own cost: older ones (p=1) still verify, and `usersBelowHashCost` names them.
 */
const COST = { N: 16_384, r: 8, p: 5 } as const;
const KEY_BYTES = 32;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** The key is KEY_BYTES long (43 base64url characters): a key of another length matches nothing. */
const ENCODED = /^scrypt:(\d+):(\d+):(\d+):([A-Za-z0-9_-]{16,}):([A-Za-z0-9_-]{43})$/;

/** A password that may not be hashed (too short). */
export class WeakPasswordError extends CommitlogError {
  constructor(length: number) {
    super(
      'WEAK_PASSWORD',
      `the password is ${length} characters long; it must have at least ${MIN_PASSWORD_LENGTH}`,
      { retriable: false },
    );
  }
}

/** Most memory one scrypt may take: a hash whose cost needs more (128·N·r) is refused. */
const SCRYPT_MAXMEM = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, KEY_BYTES, { ...options, maxmem: SCRYPT_MAXMEM }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });
}

/** Hashes a dashboard password into the form `DASHBOARD_USERS` takes. */
export async function hashPassword(password: string, salt = randomBytes(16)): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(password.length);
  const key = await scrypt(password, salt, COST);
  return `scrypt:${COST.N}:${COST.r}:${COST.p}:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

interface DecodedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function decodeHash(encoded: string): DecodedHash | undefined {
  const m = ENCODED.exec(encoded);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // A power of two from 2^10 to 2^20, and a cost whose memory (128·N·r bytes, with room for
  // scrypt's own) stays inside maxmem: beyond it every sign-in would fail, with a 500.
  if (N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0) return undefined;
  if (r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  if (128 * N * r * 2 > SCRYPT_MAXMEM) return undefined;
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') };
}

/** Whether `password` matches `encoded`; compares in constant time. A malformed hash matches nothing. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decodeHash(encoded);
  if (!decoded) return false;
  const key = await scrypt(password, decoded.salt, decoded);
  return key.length === decoded.key.length && timingSafeEqual(key, decoded.key);
}

function parseUser(entry: string, position: number): Parsed<DashboardUser> {
  const parts = entry.split(':');
  const [name = '', role = '', ...rest] = parts;
  const where = `user ${position}`;
  // Not the name:role:hash shape at all: most likely a password pasted in, which the message
  // (standard error, so the service's log) must not repeat, not even in part as a "name".
  if (parts.length < 3) {
    return {
      ok: false,
      message: `${where}: must be name:role:hash (the entry is not shown: it may be a password)`,
    };
  }
  if (!NAME.test(name)) {
    return {
      ok: false,
      message: `${where}: the name must be 1 to 64 letters, digits, ".", "_" or "-"`,
    };
  }
  // Not named yet: a password with two colons in it passes for a name and an unknown role.
  if (role !== 'viewer' && role !== 'admin') {
    return {
      ok: false,
      message: `${where}: the role must be viewer or admin (the entry is not shown: it may be a password)`,
    };
  }
  const passwordHash = rest.join(':');
  if (!decodeHash(passwordHash)) {
    return {
      ok: false,
      message: `${where} (${name}): the password must be a hash printed by \`commitlog dashboard hash-password\` (values are not shown)`,
    };
  }
  return { ok: true, value: { name, role, passwordHash } };
}

/** Entries may be separated by commas or new lines, which a multi-line secret file gives. */
const USERS_RULE = 'comma-separated name:role:hash entries, role viewer or admin';

/** `DASHBOARD_USERS`: `name:role:hash` entries; a bad entry is named by position, its hash never shown. */
export const dashboardUsers: Parser<DashboardUser[]> = (value) => {
  const entries = value
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return { ok: false, message: `must hold ${USERS_RULE}` };
  const users: DashboardUser[] = [];
  const problems: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const parsed = parseUser(entry, i + 1);
    if (parsed.ok) users.push(parsed.value);
    else problems.push(parsed.message);
  }
  const names = users.map((u) => u.name);
  const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (twice.length > 0) problems.push(`${twice.join(', ')} appear more than once`);
  if (problems.length === 0) return { ok: true, value: users };
  // A value that is not this format at all (a password pasted in) would give a problem per comma.
  const more = problems.length > 3 ? [`and ${problems.length - 3} more`] : [];
  return { ok: false, message: [...problems.slice(0, 3), ...more].join('; ') };
};

export { USERS_RULE as DASHBOARD_USERS_RULE };

/** What a scrypt cost makes a guess pay: its time grows with N·r·p (its memory with N·r alone). */
function work(cost: { N: number; r: number; p: number }): number {
  return cost.N * cost.r * cost.p;
}

/**
 * A hash no password matches, of the highest cost among `hashes` (the cost of new hashes when
 * none is readable): checked for an unknown user name, so that an answer takes as long as for
 * the costliest known user and its timing does not tell which names exist. Not at least the
 * cost of new hashes: while every user still has an older, cheaper hash, an unknown name would
 * take longer than every known one, and tell them apart.
 */
export function unmatchableHash(hashes: readonly string[]): string {
  const costs = hashes.flatMap((hash) => {
    const decoded = decodeHash(hash);
    return decoded ? [decoded] : [];
  });
  const cost = costs.reduce<{ N: number; r: number; p: number }>(
    (most, c) => (work(c) > work(most) ? c : most),
    costs[0] ?? COST,
  );
  return `scrypt:${cost.N}:${cost.r}:${cost.p}:${'A'.repeat(22)}:${'A'.repeat(43)}`;
}

/**
 * The users whose hash costs less than new hashes do (made before the cost was raised): their
 * passwords are cheaper to guess from a leaked `DASHBOARD_USERS`. Named, for a warning at start-up.
 */
export function usersBelowHashCost(users: readonly DashboardUser[]): string[] {
  return users
    .filter((user) => {
      const cost = decodeHash(user.passwordHash);
      return cost !== undefined && work(cost) < work(COST);
    })
    .map((user) => user.name);
}
