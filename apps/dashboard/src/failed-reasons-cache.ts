/**
 * The failed deliveries by reason, the costly part of the Deliveries overview, read from Redis
 * at most once per `keepFor` whoever asks. Reading them walks every failed delivery (one HMGET
 * each), on the Redis the ingest writes to: after a long Kafka outage that is hundreds of
 * thousands of reads, and every open Deliveries page reloads every 15 s. So one reading at a
 * time, shared by every reader while it runs however long it takes, and kept for `keepFor` from
 * when it finished (counted from its start, a reading slower than that had the next page start
 * another beside it, each slowing the Redis the others read). `keepFor` may be a function of how
 * long the last reading took, so that a costly reading is made less often. A re-drive makes the
 * reading stale (`invalidate`), so that the page it redirects to shows what it moved: the next
 * reader's reading starts once the one under way, if any, has ended. The rest of the overview
 * (backlogs, paused and held lanes) is read every time. A reading keeps when it began
 * (`readTimed`), which the page shows beside it: what it says may be that old.
 */
export interface LaneCountCache<T> {
  read(laneCount: number): Promise<T>;
  /** As `read`, with when the reading it gives began: what it says may be that old. */
  readTimed(laneCount: number): Promise<Timed<T>>;
  invalidate(): void;
}

/** A reading and when it began, epoch ms (on the cache's clock). */
export interface Timed<T> {
  value: T;
  at: number;
}

interface Reading<T> {
  laneCount: number;
  value: Promise<T>;
  /** `value`, with when it began. */
  timed: Promise<Timed<T>>;
  stale: boolean;
  /** Set once it succeeded. */
  finishedAt?: number;
  /** How long it took, ms, from when it began (after the one before it ended); with finishedAt. */
  tookMs?: number;
}

export function cacheByLaneCount<T>(
  readFresh: (laneCount: number) => Promise<T>,
  /** How long a reading is kept, ms: a number, or one of how long that reading took (ms). */
  keepFor: number | ((tookMs: number) => number),
  now: () => number = Date.now,
): LaneCountCache<T> {
  const keptMs = (r: Reading<T>): number =>
    typeof keepFor === 'number' ? keepFor : keepFor(r.tookMs ?? 0);
  /** The newest reading started, under way or ended. */
  let last: Reading<T> | undefined;
  /** Settles (never rejects) once the newest reading has ended; undefined when it has. */
  let underWay: Promise<unknown> | undefined;
  const start = (laneCount: number): Reading<T> => {
    let began = 0;
    const read = (): Promise<T> => {
      began = now();
      return readFresh(laneCount);
    };
    const value = underWay ? underWay.then(read) : read();
    const timed = value.then((v) => ({ value: v, at: began }));
    // Its failure is `value`'s, which its readers hear: not one of its own to report.
    timed.catch(() => undefined);
    const reading: Reading<T> = { laneCount, value, timed, stale: false };
    const settled: Promise<unknown> = reading.value
      .then(
        () => {
          reading.finishedAt = now();
          reading.tookMs = reading.finishedAt - began;
        },
        // A failed reading is not kept: the next reader tries again.
        () => {
          if (last === reading) last = undefined;
        },
      )
      .finally(() => {
        if (underWay === settled) underWay = undefined;
      });
    underWay = settled;
    last = reading;
    return reading;
  };
  const reading = (laneCount: number): Reading<T> => {
    const r = last;
    const usable =
      r !== undefined &&
      !r.stale &&
      r.laneCount === laneCount &&
      (r.finishedAt === undefined || now() - r.finishedAt < keptMs(r));
    return usable ? r : start(laneCount);
  };
  return {
    read: (laneCount) => reading(laneCount).value,
    readTimed: (laneCount) => reading(laneCount).timed,
    invalidate() {
      if (last) last.stale = true;
    },
  };
}
