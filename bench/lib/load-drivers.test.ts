import { describe, expect, it } from 'vitest';
import { closedLoop, epochClock, openLoop, wholeMsMidpoint } from './load-drivers.ts';
import { intendedOffsetMs } from './rate-ladder.ts';

describe('load drivers', () => {
  it('open loop: a stalled answer does not hold the sender; latency counts from the intended time', async () => {
    // Request 15 is answered only once the last request (39) has been sent. A sender that waited
    // for answers would never get there: the fallback answers 15 so that it fails on the order
    // below instead of hanging until the test's timeout.
    const clock = () => performance.now();
    const events: string[] = [];
    const sentAt = new Map<number, number>();
    let releasedAt: number | undefined;
    let answer15: () => void = () => undefined;
    const stall = new Promise<void>((resolve) => (answer15 = resolve));
    const release = () => {
      if (releasedAt !== undefined) return;
      releasedAt = clock();
      events.push('answer 15');
      answer15();
    };
    const fallback = setTimeout(release, 3000);
    const results = await openLoop({
      rate: 100,
      durationMs: 300,
      firstN: 10,
      now: clock,
      send: async (n) => {
        sentAt.set(n, clock());
        events.push(`send ${n}`);
        if (n === 39) release();
        if (n === 15) await stall;
        return { status: 202, id: `c${n}` };
      },
    });
    clearTimeout(fallback);
    const ns = Array.from({ length: 30 }, (_, i) => i + 10);
    expect(results).toHaveLength(30);
    expect(new Set(results.map((r) => r.n))).toEqual(new Set(ns));
    // Every request after the stalled one went out before the stalled one was answered.
    const answered = events.indexOf('answer 15');
    expect(events.slice(0, answered)).toEqual(ns.map((n) => `send ${n}`));
    // Request i is intended at start + i / rate, and sent no earlier.
    const byN = new Map(results.map((r) => [r.n, r]));
    const start = byN.get(10)!.intendedAt;
    for (const n of ns) {
      const r = byN.get(n)!;
      expect(r.intendedAt - start).toBeCloseTo(intendedOffsetMs(n - 10, 100), 6);
      expect(r.intendedAt).toBeLessThanOrEqual(sentAt.get(n)!);
    }
    // The stalled request's latency runs from its intended time to its answer: the stall in full.
    const stalled = byN.get(15)!;
    expect(stalled.answeredAt).toBeGreaterThanOrEqual(releasedAt!);
    expect(stalled.answeredAt - stalled.intendedAt).toBeGreaterThanOrEqual(
      releasedAt! - sentAt.get(15)!,
    );
  });

  it('open loop: a send that throws fails the step, once every other request was answered', async () => {
    let answered = 0;
    const step = openLoop({
      rate: 1000,
      durationMs: 20,
      firstN: 0,
      send: async (n) => {
        await new Promise((r) => setTimeout(r, n === 3 ? 1 : 30));
        if (n === 3) throw new Error('send 3 broke');
        answered++;
        return { status: 202, id: `c${n}` };
      },
    });
    await expect(step).rejects.toThrow('send 3 broke');
    expect(answered).toBe(19);
  });

  it('open loop: sleeps at least a millisecond between sends, never spins, and sends nothing early', async () => {
    // A virtual clock: each sleep moves it by what was asked plus a timer's usual lateness.
    let virtual = 1_000;
    const sleeps: number[] = [];
    const sentAt = new Map<number, number>();
    const rate = 2_500; // 0.4 ms apart: every gap is under the timer's floor
    const results = await openLoop({
      rate,
      durationMs: 200,
      firstN: 0,
      now: () => virtual,
      sleep: (ms) => {
        sleeps.push(ms);
        virtual += ms + 0.1;
        return Promise.resolve();
      },
      send: (n) => {
        sentAt.set(n, virtual);
        return Promise.resolve({ status: 202, id: undefined });
      },
    });
    expect(results).toHaveLength(500);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms >= 1)).toBe(true);
    // Requests due together go out together: fewer wake-ups than requests.
    expect(sleeps.length).toBeLessThan(results.length);
    for (const r of results) {
      const lateness = sentAt.get(r.n)! - r.intendedAt;
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThanOrEqual(1.1); // one timer floor plus its lateness, on the virtual clock
    }
  });

  it('closed loop: keeps each client busy until the deadline', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const startedAt: number[] = [];
    const begin = Date.now();
    const results = await closedLoop({
      clients: 4,
      durationMs: 100,
      firstN: 0,
      send: async () => {
        startedAt.push(Date.now());
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { status: 202, id: undefined };
      },
    });
    const end = Date.now();
    // Four clients back to back: more sends than clients, and four at once at some point.
    expect(results.length).toBeGreaterThan(4);
    expect(mostInFlight).toBe(4);
    expect(new Set(results.map((r) => r.n)).size).toBe(results.length);
    // Every send started within the run, and each result is one of them.
    expect(results).toHaveLength(startedAt.length);
    expect(startedAt.every((t) => t >= begin && t <= end)).toBe(true);
  });

  it('epoch clock: anchored where Date.now() turns to its next millisecond, seen without a pause', () => {
    // Date.now() and performance.now() readings, in the order the clock takes them. The first
    // turn (to 1001) is seen 0.4 ms after the reading before it, too late to place; the second
    // (to 1002) within 2 µs: the anchor is its middle, 1002 at 1.301 ms.
    const dates = [1000, 1000, 1001, 1001, 1002];
    const nows = [0, 0.1, 0.5, 1.3, 1.302, 5];
    const clock = epochClock(
      () => dates.shift()!,
      () => nows.shift()!,
    );
    expect(clock()).toBeCloseTo(1002 + (5 - 1.301), 6);
    expect(wholeMsMidpoint(1001)).toBe(1001.5);
  });

  it('epoch clock: keeps the whole-millisecond anchor when no turn is seen in time', () => {
    let t = 0;
    // Every reading 1 ms after the one before: no turn is ever placed.
    const clock = epochClock(
      () => Math.floor(t),
      () => (t += 1),
    );
    // Anchored at its first readings: Date.now() 0 at 1 ms.
    expect(clock()).toBe(-1 + t);
  });
});
