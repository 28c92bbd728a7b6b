import type { RedriveReading, RedriveResult } from '@commitlog/queue';

/**
 * How far a re-drive of many has got: what it moved, and how many failed deliveries it has read.
 * A filter that matches few of hundreds of thousands moves nothing for minutes while it reads:
 * `read` is what the page can say meanwhile.
 */
export type RedriveProgress = RedriveResult & { read?: number };

/**
 * The two progress callbacks of `redrive` (moved, and read) joined into the one the dashboard's
 * runner hears: each call carries the latest of both.
 */
export function joinRedriveProgress(onProgress: ((soFar: RedriveProgress) => void) | undefined): {
  onMoved?: (soFar: RedriveResult) => void;
  onReading?: (soFar: RedriveReading) => void;
} {
  if (!onProgress) return {};
  let moved: RedriveResult = { redriven: 0, skipped: 0 };
  let read = 0;
  return {
    onMoved: (soFar) => {
      moved = { ...soFar };
      onProgress({ ...moved, read });
    },
    onReading: (soFar) => {
      read = soFar.read;
      onProgress({ ...moved, read });
    },
  };
}
