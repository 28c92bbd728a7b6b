import { describe, expect, it, vi } from 'vitest';
import { sweepExpiredFailures } from './expired-failures-sweep.ts';

function logger() {
  return { info: vi.fn(), warn: vi.fn() };
}

describe('sweepExpiredFailures', () => {
  it('removes at once and on every turn, and logs only what it removed', async () => {
    vi.useFakeTimers();
    try {
      const log = logger();
      const removed = [0, 3];
      const remove = vi.fn(() => Promise.resolve(removed.shift() ?? 0));
      const sweep = sweepExpiredFailures({
        remove,
        logger: log,
        retentionMs: 1000,
        intervalMs: 60_000,
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(remove).toHaveBeenCalledTimes(1);
      expect(log.info).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(remove).toHaveBeenCalledTimes(2);
      expect(log.info).toHaveBeenCalledWith(
        { removed: 3, retentionMs: 1000 },
        'removed failed deliveries older than FAILED_RETENTION',
      );
      sweep.stop();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(remove).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never runs two at once, and goes on after a failed run', async () => {
    vi.useFakeTimers();
    try {
      const log = logger();
      let finish: (n: number) => void = () => undefined;
      const remove = vi
        .fn<() => Promise<number>>()
        .mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)))
        .mockRejectedValueOnce(new Error('Connection is closed.'))
        .mockResolvedValue(0);
      const sweep = sweepExpiredFailures({
        remove,
        logger: log,
        retentionMs: 1000,
        intervalMs: 1000,
      });
      await vi.advanceTimersByTimeAsync(3000);
      expect(remove).toHaveBeenCalledTimes(1);
      finish(0);
      await vi.advanceTimersByTimeAsync(1000);
      expect(remove).toHaveBeenCalledTimes(2);
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn.mock.calls[0]?.[1]).toBe(
        'could not remove failed deliveries past FAILED_RETENTION',
      );
      await vi.advanceTimersByTimeAsync(1000);
      expect(remove).toHaveBeenCalledTimes(3);
      sweep.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
