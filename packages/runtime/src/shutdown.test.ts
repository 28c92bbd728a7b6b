import { captureLogLines } from '@commitlog/testkit';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.ts';
import { onShutdown, type ShutdownStep } from './shutdown.ts';

/** A stand-in for `process`: emits signals on demand, records exit codes. */
function fixture(steps: ShutdownStep[], timeoutMs = 60_000) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const sink = captureLogLines();
  const handle = onShutdown({
    logger: createLogger({ service: 'worker', destination: sink }),
    timeoutMs,
    steps,
    exit: (code) => exits.push(code),
    processLike: signals,
  });
  return { signals, exits, sink, handle, messages: () => sink.lines.map((l) => l.msg) };
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('onShutdown', () => {
  it('runs the steps in order on SIGTERM, logs each with its duration, then exits 0', async () => {
    const ran: string[] = [];
    const step = (name: string): ShutdownStep => ({
      name,
      run: () => {
        ran.push(name);
        return Promise.resolve();
      },
    });
    const { signals, exits, sink, handle } = fixture([
      step('stop workers'),
      step('flush producer'),
    ]);
    signals.emit('SIGTERM', 'SIGTERM');
    await handle.trigger('wait for it');
    expect(ran).toEqual(['stop workers', 'flush producer']);
    expect(exits).toEqual([0]);
    const done = sink.lines.filter((l) => l.msg === 'shutdown step done');
    expect(done.map((l) => l.step)).toEqual(['stop workers', 'flush producer']);
    for (const line of done) expect(typeof line.durationMs).toBe('number');
    expect(sink.lines[0]).toMatchObject({ msg: 'shutting down', reason: 'SIGTERM' });
  });

  it('listens to SIGINT too', async () => {
    const { signals, exits, handle } = fixture([]);
    signals.emit('SIGINT', 'SIGINT');
    await handle.trigger('join');
    expect(exits).toEqual([0]);
  });

  it('logs a failing step, still runs the rest, and exits 1', async () => {
    const ran: string[] = [];
    const { exits, sink, handle } = fixture([
      { name: 'close server', run: () => Promise.reject(new Error('boom')) },
      {
        name: 'close redis',
        run: () => {
          ran.push('close redis');
          return Promise.resolve();
        },
      },
    ]);
    await handle.trigger('test');
    expect(ran).toEqual(['close redis']);
    expect(exits).toEqual([1]);
    const failed = sink.lines.find((l) => l.msg === 'shutdown step failed');
    expect(failed).toMatchObject({ step: 'close server', err: { message: 'boom' } });
  });

  it('logs a second signal and lets the steps finish', async () => {
    const gate = deferred();
    const { signals, exits, handle, messages } = fixture([
      { name: 'drain', run: () => gate.promise },
    ]);
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    expect(messages().filter((m) => m === 'already shutting down')).toHaveLength(2);
    expect(exits).toEqual([]);
    gate.resolve();
    await handle.trigger('join');
    expect(exits).toEqual([0]);
  });

  it('exits 1 when the steps outlast the timeout, naming the step it gave up on', async () => {
    vi.useFakeTimers();
    const ran: string[] = [];
    const { exits, sink, handle } = fixture(
      [
        { name: 'flush producer', run: () => new Promise<void>(() => undefined) },
        {
          name: 'never reached',
          run: () => {
            ran.push('never reached');
            return Promise.resolve();
          },
        },
      ],
      5_000,
    );
    const done = handle.trigger('SIGTERM');
    await vi.advanceTimersByTimeAsync(5_000);
    await done;
    expect(exits).toEqual([1]);
    expect(ran).toEqual([]);
    expect(sink.lines.find((l) => l.msg === 'shutdown timed out; exiting now')).toMatchObject({
      step: 'flush producer',
      timeoutMs: 5_000,
    });
  });

  it('exits once, however the steps end after a timeout', async () => {
    vi.useFakeTimers();
    const gate = deferred();
    const { exits, handle } = fixture([{ name: 'slow', run: () => gate.promise }], 1_000);
    const done = handle.trigger('SIGTERM');
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    gate.resolve();
    await vi.runAllTimersAsync();
    expect(exits).toEqual([1]);
  });

  it('stops listening once disposed', () => {
    const { signals, exits, handle } = fixture([]);
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    handle.dispose();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(signals.listenerCount('SIGINT')).toBe(0);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([]);
  });
});
