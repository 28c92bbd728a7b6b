import type { FailedDelivery } from '@commitlog/queue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepExpiredFailures } from './expired-failures-sweep.ts';

/** A sweep every `intervalMs` over `remove`, with a logger the test reads. */
function sweep(
  remove: (onRemoved: (removed: readonly FailedDelivery[]) => void) => Promise<number>,
  intervalMs: number,
) {
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

  it('removes at once and on every turn, and logs each commit it removed, never its values', async () => {
    const failure = (jobId: string, key: string): FailedDelivery => ({
      lane: 3,
      jobId,
      reason: 'too-large',
      message: 'MESSAGE_TOO_LARGE: …',
      failedAt: Date.UTC(2026, 10, 20, 12),
      bucketType: 'default',
      bucket: 'payments',
      key,
    });
    const long = 'k'.repeat(300);
    const unread: FailedDelivery = {
      ...failure('c3', '(unreadable)'),
      reason: 'unknown',
      failedAt: Number.NaN,
    };
    const runs: FailedDelivery[][][] = [
      [],
      [[failure('c1', 'txn-1'), failure('c2', long)], [unread]],
    ];
    const remove = vi.fn((onRemoved: (removed: readonly FailedDelivery[]) => void) => {
      const told = runs.shift() ?? [];
      for (const some of told) onRemoved(some);
      return Promise.resolve(told.flat().length);
    });
    const { log, stop } = sweep(remove, 60_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(remove).toHaveBeenCalledTimes(1);
    expect(log.warn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(remove).toHaveBeenCalledTimes(2);
    const perCommit =
      'removed a failed delivery past FAILED_RETENTION: this commit is not on Kafka';
    expect(log.warn.mock.calls).toEqual([
      [
        {
          lane: 3,
          jobId: 'c1',
          bucketType: 'default',
          bucket: 'payments',
          key: 'txn-1',
          reason: 'too-large',
          failedAt: '2026-11-20T12:00:00.000Z',
        },
        perCommit,
      ],
      [expect.objectContaining({ jobId: 'c2', key: `${'k'.repeat(200)}…` }), perCommit],
      [expect.objectContaining({ jobId: 'c3', reason: 'unknown', failedAt: undefined }), perCommit],
      [
        { removed: 3, retentionMs: 1000 },
        'removed failed deliveries older than FAILED_RETENTION: those commits are not on Kafka',
      ],
    ]);
    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(remove).toHaveBeenCalledTimes(2);
  });

  it('has told every commit it removed when a run is cut short, and says how many', async () => {
    const gone: FailedDelivery = {
      lane: 0,
      jobId: 'c9',
      reason: 'expired',
      message: '',
      failedAt: 0,
      bucketType: 'default',
      bucket: 'b',
      key: 'k',
    };
    const remove = vi.fn((onRemoved: (removed: readonly FailedDelivery[]) => void) => {
      onRemoved([gone]);
      return Promise.reject(new Error('Connection is closed.'));
    });
    const { log, stop } = sweep(remove, 60_000);
    await vi.advanceTimersByTimeAsync(0);
    const said = log.warn.mock.calls.map((call) => {
      const [fields, message] = call as [Record<string, unknown>, string];
      return [fields.jobId ?? fields.removed, message];
    });
    expect(said).toEqual([
      ['c9', 'removed a failed delivery past FAILED_RETENTION: this commit is not on Kafka'],
      [1, 'could not remove failed deliveries past FAILED_RETENTION'],
    ]);
    stop();
  });

  it('never runs two at once, and goes on after a failed run', async () => {
    let finish: (removed: number) => void = () => undefined;
    const remove = vi
      .fn<(onRemoved: (removed: readonly FailedDelivery[]) => void) => Promise<number>>()
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
