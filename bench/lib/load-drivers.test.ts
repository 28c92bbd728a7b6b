import { describe, expect, it } from 'vitest';
import { closedLoop, openLoop } from './load-drivers.ts';

describe('load drivers', () => {
  it('open loop: sends on schedule and measures from the intended time, not the send', async () => {
    // A server that stalls for 200 ms on request 5: later requests are still sent on time.
    const sentAt: number[] = [];
    const results = await openLoop({
      rate: 100,
      durationMs: 300,
      firstN: 10,
      send: async (n) => {
        sentAt.push(performance.now());
        await new Promise((r) => setTimeout(r, n === 15 ? 200 : 1));
        return { status: 202, id: `c${n}` };
      },
    });
    expect(results).toHaveLength(30);
    expect(new Set(results.map((r) => r.n))).toEqual(
      new Set(Array.from({ length: 30 }, (_, i) => i + 10)),
    );
    const stalled = results.find((r) => r.n === 15)!;
    expect(stalled.answeredAt - stalled.intendedAt).toBeGreaterThanOrEqual(195);
    // The 30 sends spread over about 300 ms, not 500 (the stall did not hold the sender).
    expect(sentAt[sentAt.length - 1]! - sentAt[0]!).toBeLessThan(450);
  });

  it('closed loop: keeps each client busy until the deadline', async () => {
    const results = await closedLoop({
      clients: 4,
      durationMs: 100,
      firstN: 0,
      send: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return { status: 202, id: undefined };
      },
    });
    expect(results.length).toBeGreaterThan(20);
    expect(new Set(results.map((r) => r.n)).size).toBe(results.length);
  });
});
