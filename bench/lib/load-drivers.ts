/**
 * Open- and closed-loop drivers. The open loop sends request `i` at its intended time
 * (start + i / rate) whether or not earlier ones were answered, and measures each latency from
 * that intended time, so a stalled server shows up as latency instead of as a slower sender
 * (no coordinated omission). The closed loop keeps `clients` requests outstanding: saturation.
 */
import { intendedOffsetMs } from './rate-ladder.ts';

/** One request's fate, times in epoch ms (the clock Kafka's append times use). */
export interface Sent {
  n: number;
  intendedAt: number;
  answeredAt: number;
  status: number;
  id: string | undefined;
  /** The answer said the commit was stored already (see `PostOutcome`). */
  duplicate?: boolean;
}

export type Send = (
  n: number,
) => Promise<{ status: number; id: string | undefined; duplicate?: boolean }>;

/**
 * Epoch ms with sub-ms resolution, anchored once so that it does not jump with NTP. Anchored at
 * a turn of `Date.now()` to its next millisecond, seen within 5 µs of the reading before it (a
 * pause in between, such as a compilation of this loop, would misplace it): anchored at any
 * instant, its whole milliseconds would put every time of the clock up to a millisecond early,
 * a bias of up to 1 ms in each step's commit→Kafka figures. Waits a few milliseconds at most;
 * after 20 ms without such a turn it keeps the whole-millisecond anchor.
 */
export function epochClock(
  dateNow: () => number = Date.now,
  now: () => number = () => performance.now(),
): () => number {
  let last = dateNow();
  let lastAt = now();
  let anchor = last - lastAt;
  const giveUpAt = lastAt + 20;
  for (;;) {
    const date = dateNow();
    const at = now();
    if (date !== last && at - lastAt <= 0.005) {
      // The turn came between the two readings of Date.now(): their middle.
      anchor = date - (lastAt + at) / 2;
      break;
    }
    if (at > giveUpAt) break;
    last = date;
    lastAt = at;
  }
  return () => anchor + now();
}

/**
 * A whole-millisecond timestamp (Kafka's append time, the ingest's `commitlog-received-at`) as
 * the instant it most likely stands for: it was cut to its millisecond, so the middle of it.
 */
export function wholeMsMidpoint(ms: number): number {
  return ms + 0.5;
}

export async function openLoop(options: {
  rate: number;
  durationMs: number;
  send: Send;
  /** First request number (unique across the run, so commits differ between steps). */
  firstN: number;
  now?: () => number;
  /** Waits at least `ms` (tests pass a virtual clock's). */
  sleep?: (ms: number) => Promise<void>;
}): Promise<Sent[]> {
  const now = options.now ?? epochClock();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const results: Sent[] = [];
  // Counted, not kept: 10,000s of settled promises held to the end survived every young-generation
  // collection of the load generator, which then paused it longer, mid-step.
  let outstanding = 0;
  let allAnswered: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  const start = now();
  for (let i = 0; i < total;) {
    const t = now();
    // Send every request that is due; then yield so answers are read.
    while (i < total && start + intendedOffsetMs(i, options.rate) <= t) {
      const intendedAt = start + intendedOffsetMs(i, options.rate);
      const n = options.firstN + i;
      outstanding++;
      options.send(n).then(
        (r) => {
          results.push({ n, intendedAt, answeredAt: now(), ...answerOf(r) });
          if (--outstanding === 0) allAnswered?.();
        },
        (error: unknown) => {
          failure ??= { error };
          if (--outstanding === 0) allAnswered?.();
        },
      );
      i++;
    }
    if (i >= total) break;
    // Never spin: a gap under a millisecond still sleeps one (Node's timer floor), and the requests
    // due by then go out together. They leave up to about a millisecond late, which their latency
    // includes (it counts from the intended time). Yielding with setImmediate instead kept one of
    // this machine's two cores busy from 1,000/s up, taken from the processes being measured.
    const wait = start + intendedOffsetMs(i, options.rate) - now();
    await sleep(Math.max(1, Math.ceil(wait)));
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
  if (failure) throw failure.error;
  return results;
}

/** What a `Sent` keeps of an answer (`duplicate` only when said). */
function answerOf(r: Awaited<ReturnType<Send>>): Pick<Sent, 'status' | 'id' | 'duplicate'> {
  return r.duplicate === true
    ? { status: r.status, id: r.id, duplicate: true }
    : { status: r.status, id: r.id };
}

export async function closedLoop(options: {
  clients: number;
  durationMs: number;
  send: Send;
  firstN: number;
  now?: () => number;
}): Promise<Sent[]> {
  const now = options.now ?? epochClock();
  const results: Sent[] = [];
  const end = now() + options.durationMs;
  let next = options.firstN;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (now() < end) {
        const n = next++;
        const intendedAt = now();
        const r = await options.send(n);
        results.push({ n, intendedAt, answeredAt: now(), ...answerOf(r) });
      }
    }),
  );
  return results;
}
