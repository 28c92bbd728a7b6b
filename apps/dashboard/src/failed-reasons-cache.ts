/**
 * The failed deliveries by reason, the costly part of the Deliveries overview, read from Redis
 * at most once per `ttlMs` whoever asks. Reading them walks every failed delivery (one HMGET
 * each), on the Redis the ingest writes to: after a long Kafka outage that is hundreds of
 * thousands of reads, and every open Deliveries page reloads every 15 s. Readers during a read
 * share it; a re-drive drops the reading (`invalidate`), so that the page it redirects to shows
 * what it moved. The rest of the overview (backlogs, paused and held lanes) is read every time.
 */
export interface LaneCountCache<T> {
  read(laneCount: number): Promise<T>;
  invalidate(): void;
}

export function cacheByLaneCount<T>(
  readFresh: (laneCount: number) => Promise<T>,
  ttlMs: number,
  now: () => number = Date.now,
): LaneCountCache<T> {
  let kept: { laneCount: number; at: number; value: Promise<T> } | undefined;
  return {
    read(laneCount) {
      if (kept && kept.laneCount === laneCount && now() - kept.at < ttlMs) return kept.value;
      const entry = { laneCount, at: now(), value: readFresh(laneCount) };
      kept = entry;
      // A failed reading is not kept: the next reader tries again.
      entry.value.catch(() => {
        if (kept === entry) kept = undefined;
      });
      return entry.value;
    },
    invalidate() {
      kept = undefined;
    },
  };
}
