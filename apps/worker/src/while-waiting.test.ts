import { describe, expect, it, vi } from 'vitest';
import { whileWaiting } from './while-waiting.ts';

/** A step that finishes when the test says, with what it made. */
function pendingStep() {
  let finish: (made: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const made = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { step: () => made, finish, fail };
}

describe('whileWaiting', () => {
  it('gives what a step made after the stop to release, and answers the stop at once', async () => {
    const { step, finish } = pendingStep();
    const stop = new AbortController();
    const release = vi.fn(() => Promise.resolve());
    const waiting = whileWaiting(
      { warn: vi.fn() },
      { for: '' },
      'Redis',
      step,
      stop.signal,
      release,
    );
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped while starting, waiting for Redis');
    expect(release).not.toHaveBeenCalled();
    finish('lane workers');
    await vi.waitFor(() => expect(release).toHaveBeenCalledWith('lane workers'));
  });

  it('releases nothing a step finished before any stop, or a step that failed after it', async () => {
    const release = vi.fn(() => Promise.resolve());
    const stop = new AbortController();
    const made = await whileWaiting(
      { warn: vi.fn() },
      { for: '' },
      'Kafka',
      () => Promise.resolve('producer'),
      stop.signal,
      release,
    );
    stop.abort();
    expect(made).toBe('producer');

    const failing = pendingStep();
    const log = { warn: vi.fn() };
    const second = new AbortController();
    const waiting = whileWaiting(log, { for: '' }, 'Kafka', failing.step, second.signal, release);
    second.abort();
    await expect(waiting).rejects.toThrow('stopped while starting');
    failing.fail(new Error('connection closed'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(release).not.toHaveBeenCalled();
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('logs, without throwing, a release that fails', async () => {
    const { step, finish } = pendingStep();
    const stop = new AbortController();
    const log = { warn: vi.fn() };
    const release = () => Promise.reject(new Error('close failed'));
    const waiting = whileWaiting(log, { for: '' }, 'Redis', step, stop.signal, release);
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped while starting');
    finish('lane workers');
    await vi.waitFor(() =>
      expect(log.warn).toHaveBeenCalledWith(
        { err: new Error('close failed') },
        'could not release Redis after a stop',
      ),
    );
  });
});
