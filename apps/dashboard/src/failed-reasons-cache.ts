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
 * (backlogs, paused and held lanes) is read every time.
 */
export interface LaneCountCache<T> {
  read(laneCount: number): Promise<T>;
  invalidate(): void;
}

interface Reading<T> {
  laneCount: number;
  value: Promise<T>;
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
    const reading: Reading<T> = {
      laneCount,
      value: underWay ? underWay.then(read) : read(),
      stale: false,
    };
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
  return {
    read(laneCount) {
      const r = last;
      const usable =
        r !== undefined &&
        !r.stale &&
        r.laneCount === laneCount &&
        (r.finishedAt === undefined || now() - r.finishedAt < keptMs(r));
      return (usable ? r : start(laneCount)).value;
    },
    invalidate() {
      if (last) last.stale = true;
    },
  };
}
