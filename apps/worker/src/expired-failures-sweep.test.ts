import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepExpiredFailures } from './expired-failures-sweep.ts';

/** A sweep every `intervalMs` over `remove`, with a logger the test reads. */
function sweep(remove: () => Promise<number>, intervalMs: number) {
  const log = { warn: vi.fn() };
  const running = sweepExpiredFailures({ remove, logger: log, retentionMs: 1000, intervalMs });
  return { log, stop: () => running.stop() };
}

describe('sweepExpiredFailures', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('removes at once and on every turn, and logs only what it removed', async () => {
    const removed = [0, 3];
    const remove = vi.fn(() => Promise.resolve(removed.shift() ?? 0));
    const { log, stop } = sweep(remove, 60_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(remove).toHaveBeenCalledTimes(1);
    expect(log.warn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(remove).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledWith(
      { removed: 3, retentionMs: 1000 },
      'removed failed deliveries older than FAILED_RETENTION: those commits are not on Kafka',
    );
    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(remove).toHaveBeenCalledTimes(2);
  });

  it('never runs two at once, and goes on after a failed run', async () => {
    let finish: (n: number) => void = () => undefined;
    const remove = vi
      .fn<() => Promise<number>>()
      .mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)))
      .mockRejectedValueOnce(new Error('Connection is closed.'))
      .mockResolvedValue(0);
    const { log, stop } = sweep(remove, 1000);
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
    stop();
  });
});
