/**
 * Milliseconds on this process's steady clock: the wall clock's reading when the process started,
 * carried on by the monotonic clock. It reads like epoch ms, but a step of the wall clock (NTP
 * setting it back or forth, an operator's `date -s`) does not move it, so a deadline in it holds
 * its length. Compare it only with itself, within one process: it drifts from the wall clock by
 * every step since the start. The worker's settle-by deadlines use it: a wall clock set back a
 * minute while a produce request was in flight stretched the guard that keeps a late copy from
 * landing after another worker's delivery by that minute.
 */
export function steadyNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The steady-clock time of an instant given on the wall clock (epoch ms) a moment ago or ahead,
 * such as a time stamped on a job by this process: its offset from now, on the steady clock.
 */
export function steadyFromWall(wallMs: number, wallNow: number = Date.now()): number {
  return steadyNow() - (wallNow - wallMs);
}
