import { afterEach, describe, expect, it, vi } from 'vitest';
import { laneCountMismatch, watchLaneCount } from './lane-count-watch.ts';

describe('laneCountMismatch', () => {
  it('is true only when a count is recorded and differs', () => {
    expect(laneCountMismatch(16, 32)).toBe(true);
    expect(laneCountMismatch(16, 8)).toBe(true);
    expect(laneCountMismatch(16, 16)).toBe(false);
    expect(laneCountMismatch(16, undefined)).toBe(false);
  });
});

describe('watchLaneCount', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function watched(read: () => Promise<number | undefined>) {
    vi.useFakeTimers();
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const watch = watchLaneCount({
      lanes: 16,
      read,
      intervalMs: 1_000,
      now: () => Date.now(),
      logger: {
        error: (fields: Record<string, unknown>, message: string) =>
          lines.push({ fields, message }),
      } as never,
    });
    return { lines, watch };
  }

  it('logs an error naming the recorded count and the unread lanes, again every 5 minutes', async () => {
    const { lines, watch } = watched(() => Promise.resolve(32));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toEqual({ code: 'LANES_MISMATCH', lanes: 16, recorded: 32 });
    expect(lines[0]?.message).toContain('restart this process with LANES=32');
    expect(lines[0]?.message).toContain(
      'commits filed in lanes 16-31 wait for a worker with LANES=32',
    );
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(lines).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(2);
    watch.stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(lines).toHaveLength(2);
  });

  it('says nothing of unread lanes when the recorded count is lower (this worker reads them all)', async () => {
    const { lines, watch } = watched(() => Promise.resolve(8));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).not.toContain('wait for');
    watch.stop();
  });

  it('logs nothing while the counts agree, none is recorded, or Redis does not answer', async () => {
    const replies: (number | undefined | 'fail')[] = [16, undefined, 'fail', 16];
    const { lines, watch } = watched(() => {
      const next = replies.shift();
      return next === 'fail' ? Promise.reject(new Error('down')) : Promise.resolve(next);
    });
    await vi.advanceTimersByTimeAsync(4_000);
    // Every reply read, the last after the failed read: the watch was quiet, not stopped.
    expect(replies).toEqual([]);
    expect(lines).toEqual([]);
    watch.stop();
  });

  it('logs at once when the counts differ again after agreeing', async () => {
    const replies = [32, 16, 32];
    const { lines, watch } = watched(() => Promise.resolve(replies.shift() ?? 32));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(lines).toHaveLength(2);
    watch.stop();
  });
});
