/** Slows password guessing: after `maxFailures` failed sign-ins from one client, refuse for a while. */
export interface LoginThrottle {
  /** Ms until `client` may try again, or 0. */
  blockedForMs(client: string): number;
  recordFailure(client: string): void;
  recordSuccess(client: string): void;
}

/**
 * Failures are counted per client address within `windowMs`; the map holds at most `maxClients`
 * entries (the oldest are dropped), so a flood of addresses cannot exhaust memory.
 */
export function createLoginThrottle(
  options: {
    maxFailures?: number;
    windowMs?: number;
    maxClients?: number;
    now?: () => number;
  } = {},
): LoginThrottle {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  const current = (client: string) => {
    const entry = failures.get(client);
    if (entry && now() - entry.since >= windowMs) {
      failures.delete(client);
      return undefined;
    }
    return entry;
  };
  return {
    blockedForMs(client) {
      const entry = current(client);
      return entry && entry.count >= maxFailures ? entry.since + windowMs - now() : 0;
    },
    recordFailure(client) {
      const entry = current(client);
      if (entry) {
        entry.count++;
        return;
      }
      if (failures.size >= maxClients) failures.delete(failures.keys().next().value!);
      failures.set(client, { count: 1, since: now() });
    },
    recordSuccess(client) {
      failures.delete(client);
    },
  };
}
