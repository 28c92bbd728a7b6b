/**
 * A clock for deadlines that must not outlast a lock Redis keeps (a worker's settle-by time):
 * milliseconds that read like epoch ms, move with the monotonic clock, and follow the wall clock
 * forward but never back. A wall clock set back (NTP stepping it, `date -s`) does not move it:
 * on the wall clock, a step back of a minute between a job's take and its send stretched the
 * guard against a late copy by that minute. A wall clock that jumps forward does move it, and
 * so does a suspended host or paused VM, whose monotonic clock stood still while Redis's ran:
 * the deadlines fall due, as Redis's lock did. Compare its readings only with each other, within
 * one process.
 */
export interface DeadlineClock {
  now(): number;
  /** The clock's reading for an instant given on the wall clock (epoch ms) a moment ago or ahead. */
  fromWall(wallMs: number): number;
}

/**
 * A deadline clock over a wall clock and a monotonic one (both ms): the monotonic reading plus
 * the furthest the wall clock has been seen ahead of it. Each reading looks at the wall clock,
 * so a jump forward counts from the next reading on.
 */
export function createDeadlineClock(
  wall: () => number = Date.now,
  monotonic: () => number = () => performance.now(),
): DeadlineClock {
  let ahead = wall() - monotonic();
  /** The clock's reading, and the wall clock's at the same moment. */
  const read = (): { reading: number; wallNow: number } => {
    const wallNow = wall();
    const mono = monotonic();
    ahead = Math.max(ahead, wallNow - mono);
    return { reading: mono + ahead, wallNow };
  };
  return {
    now: () => read().reading,
    fromWall(wallMs) {
      const { reading, wallNow } = read();
      return reading - (wallNow - wallMs);
    },
  };
}

/**
 * This process's deadline clock: one for every package of the process, since the deadlines one
 * makes (the worker's lanes) are read by another (the Kafka producer).
 */
export const deadlineClock: DeadlineClock = createDeadlineClock();
