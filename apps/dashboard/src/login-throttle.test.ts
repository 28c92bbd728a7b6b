import { describe, expect, it } from 'vitest';
import { clientOf, createLoginThrottle } from './login-throttle.ts';

const MINUTE = 60_000;

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function fail(throttle: ReturnType<typeof createLoginThrottle>, address: string, user: string) {
  if (throttle.blockedForMs(address, user) > 0) return false;
  throttle.recordFailure(address, user);
  return true;
}

/** A sign-in whose password was right, as the handler counts it: a failure first, then taken back. */
function signIn(throttle: ReturnType<typeof createLoginThrottle>, address: string, user: string) {
  throttle.recordFailure(address, user);
  throttle.recordSuccess(address, user);
}

describe('the login throttle', () => {
  it("blocks one address and user name after five failures, for the rest of the window, and no one else's", () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now });
    for (let i = 0; i < 5; i++) expect(fail(throttle, '10.0.0.1', 'ada')).toBe(true);
    expect(throttle.blockedForMs('10.0.0.1', 'ada')).toBe(15 * MINUTE);
    expect(throttle.blockedForMs('10.0.0.1', 'vera')).toBe(0);
    expect(throttle.blockedForMs('10.0.0.2', 'ada')).toBe(0);
    time.advance(10 * MINUTE);
    expect(throttle.blockedForMs('10.0.0.1', 'ada')).toBe(5 * MINUTE);
    time.advance(5 * MINUTE);
    expect(throttle.blockedForMs('10.0.0.1', 'ada')).toBe(0);
  });

  it('clears only the pair on a success, not the guesses its address made at other names', () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now, maxFailuresPerAddress: 6 });
    for (let i = 0; i < 4; i++) fail(throttle, '10.0.0.1', `guess-${i}`);
    fail(throttle, '10.0.0.1', 'vera');
    signIn(throttle, '10.0.0.1', 'vera');
    expect(throttle.blockedForMs('10.0.0.1', 'vera')).toBe(0);
    fail(throttle, '10.0.0.1', 'ada');
    expect(throttle.blockedForMs('10.0.0.1', 'anyone')).toBeGreaterThan(0);
  });

  it('counts no successful sign-in against its address (an office behind one NAT)', () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now });
    for (let i = 0; i < 60; i++) signIn(throttle, '10.0.0.1', `user-${i % 3}`);
    expect(throttle.blockedForMs('10.0.0.1', 'anyone')).toBe(0);
  });

  it('blocks an address that tries many user names', () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now });
    let tried = 0;
    while (tried < 1000 && fail(throttle, '10.0.0.9', `junk-${tried}`)) tried++;
    expect(tried).toBe(50);
    expect(throttle.blockedForMs('10.0.0.9', 'ada')).toBeGreaterThan(0);
    expect(throttle.blockedForMs('10.0.0.8', 'ada')).toBe(0);
  });

  it('keeps a blocked pair however many junk names from other addresses fill the table', () => {
    const time = clock();
    const throttle = createLoginThrottle({ now: time.now, maxEntries: 100 });
    for (let i = 0; i < 5; i++) fail(throttle, '10.0.0.1', 'ada');
    for (let i = 0; i < 1000; i++) fail(throttle, `10.1.${i >> 8}.${i & 255}`, `junk-${i}`);
    expect(throttle.blockedForMs('10.0.0.1', 'ada')).toBeGreaterThan(0);
    expect(fail(throttle, '10.0.0.1', 'ada')).toBe(false);
  });

  it('refuses new names while every entry of a full table blocks, until the oldest expires', () => {
    const time = clock();
    const throttle = createLoginThrottle({
      now: time.now,
      maxEntries: 3,
      maxFailures: 1,
      maxFailuresPerAddress: 1000,
    });
    fail(throttle, '10.0.0.1', 'a');
    time.advance(MINUTE);
    fail(throttle, '10.0.0.1', 'b');
    fail(throttle, '10.0.0.1', 'c');
    expect(throttle.blockedForMs('10.0.0.1', 'd')).toBe(14 * MINUTE);
    time.advance(14 * MINUTE);
    expect(throttle.blockedForMs('10.0.0.1', 'd')).toBe(0);
    expect(fail(throttle, '10.0.0.1', 'd')).toBe(true);
    expect(throttle.blockedForMs('10.0.0.1', 'b')).toBe(MINUTE);
  });

  it('holds a bounded number of entries, dropping the oldest that blocks nothing', () => {
    const throttle = createLoginThrottle({ maxEntries: 2, maxFailures: 2 });
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) fail(throttle, address, 'ada');
    // 10.0.0.1's first failure was dropped to make room: its second starts a new count.
    fail(throttle, '10.0.0.1', 'ada');
    expect(throttle.blockedForMs('10.0.0.1', 'ada')).toBe(0);
    fail(throttle, '10.0.0.3', 'ada');
    expect(throttle.blockedForMs('10.0.0.3', 'ada')).toBeGreaterThan(0);
  });

  it('counts an IPv6 client by its /64, so that its other addresses get no fresh count', () => {
    const throttle = createLoginThrottle({ maxFailures: 2, now: clock().now });
    throttle.recordFailure('2001:db8:1:2::1', 'admin');
    throttle.recordFailure('2001:db8:1:2:ffff::9', 'admin');
    expect(throttle.blockedForMs('2001:db8:1:2:abcd:1:2:3', 'admin')).toBeGreaterThan(0);
    // Another /64, and an IPv4 client, are counted apart.
    expect(throttle.blockedForMs('2001:db8:1:3::1', 'admin')).toBe(0);
    expect(throttle.blockedForMs('192.0.2.7', 'admin')).toBe(0);
  });
});

describe('the client failures are counted for', () => {
  it('is an IPv4 address (also IPv4-mapped) or an IPv6 /64 however it is written', () => {
    expect(clientOf('192.0.2.7')).toBe('192.0.2.7');
    expect(clientOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientOf('2001:DB8:0:1:2:3:4:5')).toBe('2001:db8:0:1::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('2001:0db8:0000:0001::')).toBe('2001:db8:0:1::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientOf('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
    expect(clientOf('unknown')).toBe('unknown');
  });
});
