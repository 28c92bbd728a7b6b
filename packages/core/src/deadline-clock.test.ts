import { describe, expect, it } from 'vitest';
import { createDeadlineClock } from './deadline-clock.ts';

/** A clock over a wall clock and a monotonic one that the test sets. */
function clocks() {
  const t = { wall: 1_000_000, mono: 50 };
  const clock = createDeadlineClock(
    () => t.wall,
    () => t.mono,
  );
  const pass = (ms: number): void => {
    t.wall += ms;
    t.mono += ms;
  };
  return { t, clock, pass };
}

describe('deadline clock', () => {
  it('reads as the wall clock while nothing steps it, and moves with time', () => {
    const { clock, pass } = clocks();
    expect(clock.now()).toBe(1_000_000);
    pass(250);
    expect(clock.now()).toBe(1_000_250);
    expect(clock.fromWall(1_000_200)).toBe(1_000_200);
  });

  it('does not move when the wall clock is set back: a deadline keeps its length', () => {
    const { t, clock, pass } = clocks();
    const deadline = clock.now() + 5_000;
    t.wall -= 60_000;
    pass(4_999);
    expect(deadline - clock.now()).toBe(1);
    pass(1);
    expect(deadline - clock.now()).toBe(0);
  });

  it('follows the wall clock forward, and a suspend that the monotonic clock did not count', () => {
    const { t, clock } = clocks();
    const deadline = clock.now() + 5_000;
    // A paused VM or suspended host: Redis's clock, and the wall clock, ran on for a minute.
    t.wall += 60_000;
    expect(deadline - clock.now()).toBe(-55_000);
    // A deadline made after it has its whole length.
    const next = clock.now() + 5_000;
    expect(next - clock.now()).toBe(5_000);
  });

  it('never reads less than before', () => {
    const { t, clock, pass } = clocks();
    let last = clock.now();
    for (const step of [-1_000, 3_000, -10_000, 0, 700]) {
      t.wall += step;
      pass(10);
      const reading = clock.now();
      expect(reading).toBeGreaterThan(last);
      last = reading;
    }
  });

  it('gives a wall-clock instant of a moment ago on its own scale', () => {
    const { t, clock } = clocks();
    t.wall -= 30_000;
    // Stamped 20 ms ago on the wall clock (after its step back): 20 ms ago on this clock too.
    expect(clock.now() - clock.fromWall(t.wall - 20)).toBe(20);
  });
});
