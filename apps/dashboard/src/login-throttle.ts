import { isIPv4, isIPv6 } from 'node:net';

/**
 * Slows password guessing. Failed sign-ins are counted for each pair of client (an IPv4 address,
 * an IPv6 /64: `clientOf`) and user name (one user's typos lock out no one else) and for each
 * client whatever the name (one client cannot try a password on many names, nor flood the table
 * with junk names).
 */
export interface LoginThrottle {
  /** Ms until `address` may try to sign in as `user` again, or 0. */
  blockedForMs(address: string, user: string): number;
  recordFailure(address: string, user: string): void;
  /**
   * After a `recordFailure` for the same sign-in (counted before the password was checked): clears
   * the pair's failures and takes that one count back from the address, whose other failures stay
   * (a valid sign-in resets no guesses at other names).
   */
  recordSuccess(address: string, user: string): void;
}

export interface LoginThrottleOptions {
  /** Failures of one address and user name before that pair is refused. Default 5. */
  maxFailures?: number;
  /** Failures of one address, any user name, before the address is refused. Default 50. */
  maxFailuresPerAddress?: number;
  /** How long failures count, from the first. Default 15 minutes. */
  windowMs?: number;
  /** Most entries each table holds, so that a flood of addresses cannot exhaust memory. */
  maxEntries?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  since: number;
}

/**
 * A bounded table of failure counts. When it is full, expired entries go first, then the oldest
 * entry that blocks nothing; an entry that blocks is never dropped before its window ends, since
 * dropping it would hand its guesser a fresh count. When every entry blocks, a new key is refused
 * until the oldest expires: under a flood that large, sign-ins wait rather than go uncounted.
 */
function failureTable(limit: number, windowMs: number, maxEntries: number, now: () => number) {
  const entries = new Map<string, Failures>();
  const expired = (entry: Failures) => now() - entry.since >= windowMs;

  function current(key: string): Failures | undefined {
    const entry = entries.get(key);
    if (entry && expired(entry)) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Frees one place, or says when one will be free. */
  function makeRoom(): number {
    // Entries are in insertion order, which is the order of `since`: expired ones are in front.
    for (const [key, entry] of entries) {
      if (!expired(entry)) break;
      entries.delete(key);
    }
    if (entries.size < maxEntries) return 0;
    for (const [key, entry] of entries) {
      if (entry.count < limit) {
        entries.delete(key);
        return 0;
      }
    }
    const oldest = entries.values().next().value!;
    return oldest.since + windowMs - now();
  }

  return {
    blockedForMs(key: string): number {
      const entry = current(key);
      if (entry) return entry.count >= limit ? entry.since + windowMs - now() : 0;
      return entries.size >= maxEntries ? makeRoom() : 0;
    },
    recordFailure(key: string): void {
      const entry = current(key);
      if (entry) {
        entry.count++;
        return;
      }
      if (entries.size >= maxEntries && makeRoom() > 0) return;
      entries.set(key, { count: 1, since: now() });
    },
    clear(key: string): void {
      entries.delete(key);
    },
    /** Takes one failure back (a sign-in counted before its password was checked, that passed). */
    forgive(key: string): void {
      const entry = current(key);
      if (!entry) return;
      entry.count--;
      if (entry.count <= 0) entries.delete(key);
    },
  };
}

/**
 * Whom failures are counted for: an IPv4 address (also written IPv4-mapped, `::ffff:a.b.c.d`), or
 * an IPv6 address's /64. One host is usually given a whole /64, so counting its addresses one by
 * one would give a guesser a fresh count for every address of it.
 */
export function clientOf(address: string): string {
  const lower = address.toLowerCase().split('%')[0]!;
  if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return lower.slice(7);
  if (!isIPv6(lower)) return address;
  const [head = '', tail] = lower.split('::');
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    const after = tail === '' ? [] : tail.split(':');
    // An IPv4 address at the end stands for two groups.
    const width = after.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
    groups.push(...Array<string>(8 - groups.length - width).fill('0'), ...after);
  }
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const pairs = failureTable(options.maxFailures ?? 5, windowMs, maxEntries, now);
  const addresses = failureTable(options.maxFailuresPerAddress ?? 50, windowMs, maxEntries, now);
  // JSON keeps the pair unambiguous whatever characters the name holds.
  const pairKey = (address: string, user: string) => JSON.stringify([clientOf(address), user]);
  return {
    blockedForMs(address, user) {
      return Math.max(
        pairs.blockedForMs(pairKey(address, user)),
        addresses.blockedForMs(clientOf(address)),
      );
    },
    recordFailure(address, user) {
      pairs.recordFailure(pairKey(address, user));
      addresses.recordFailure(clientOf(address));
    },
    recordSuccess(address, user) {
      pairs.clear(pairKey(address, user));
      // The sign-in was counted as a failure before its password was checked; it was none.
      addresses.forgive(clientOf(address));
    },
  };
}
