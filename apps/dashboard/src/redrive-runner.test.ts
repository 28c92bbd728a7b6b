import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import { describe, expect, it } from 'vitest';
import { createRedriveRunner, type RedriveOutcome } from './redrive-runner.ts';

/** A re-drive the test ends by hand, and the progress callback it was given. */
function heldRedrive() {
  let end: (result: RedriveResult) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  let progress: (soFar: RedriveResult) => void = () => undefined;
  let started = 0;
  const run = (onProgress: (soFar: RedriveResult) => void) => {
    started++;
    progress = onProgress;
    return new Promise<RedriveResult>((resolve, reject) => {
      end = resolve;
      fail = reject;
    });
  };
  return {
    run,
    end: (result: RedriveResult) => end(result),
    fail: (error: unknown) => fail(error),
    progress: (soFar: RedriveResult) => progress(soFar),
    started: () => started,
  };
}

const who = { by: 'ada', what: 'reason expired' };

describe('the re-drive runner', () => {
  it('answers with the result of a re-drive that ends in time, and audits it once', async () => {
    const audited: RedriveOutcome[] = [];
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    const started = await runner.start(
      who,
      () => Promise.resolve({ redriven: 3, skipped: 1 }),
      (outcome) => audited.push(outcome),
    );
    expect(started).toEqual({ state: 'finished', result: { redriven: 3, skipped: 1 } });
    expect(audited).toEqual([{ redriven: 3, skipped: 1 }]);
    // Only the re-drives that went on past their request are shown afterwards.
    expect(runner.current()).toBeUndefined();
  });

  it('answers "running" when the answer is due, refuses a second one meanwhile, and audits the end', async () => {
    const audited: RedriveOutcome[] = [];
    let clock = 1_000;
    const runner = createRedriveRunner({ answerWithinMs: 5, now: () => clock });
    const long = heldRedrive();
    const started = await runner.start(who, long.run, (outcome) => audited.push(outcome));
    expect(started).toMatchObject({
      state: 'running',
      run: { by: 'ada', what: 'reason expired', startedAt: 1_000, state: 'running' },
    });

    long.progress({ redriven: 1000, skipped: 2 });
    expect(runner.current()).toMatchObject({
      state: 'running',
      soFar: { redriven: 1000, skipped: 2 },
    });
    const second = heldRedrive();
    const refused = await runner.start(
      { by: 'bob', what: 'reason expired' },
      second.run,
      (outcome) => audited.push(outcome),
    );
    expect(refused).toMatchObject({ state: 'busy', run: { by: 'ada', soFar: { redriven: 1000 } } });
    expect(second.started()).toBe(0);
    expect(audited).toEqual([]);

    clock = 9_000;
    long.end({ redriven: 2500, skipped: 2 });
    await runner.idle();
    expect(audited).toEqual([{ redriven: 2500, skipped: 2 }]);
    expect(runner.current()).toMatchObject({
      state: 'finished',
      soFar: { redriven: 2500, skipped: 2 },
      endedAt: 9_000,
    });
    // The next one may start now.
    const third = await runner.start(
      who,
      () => Promise.resolve({ redriven: 0, skipped: 0 }),
      () => undefined,
    );
    expect(third.state).toBe('finished');
  });

  it('audits what a re-drive had moved when Redis stops it after its answer', async () => {
    const audited: RedriveOutcome[] = [];
    const runner = createRedriveRunner({ answerWithinMs: 5 });
    const long = heldRedrive();
    expect((await runner.start(who, long.run, (o) => audited.push(o))).state).toBe('running');
    const stopped = new RedriveInterruptedError(
      { redriven: 1200, skipped: 0 },
      new Error('Connection is closed.'),
    );
    long.fail(stopped);
    await runner.idle();
    expect(audited).toEqual([{ redriven: 1200, skipped: 0, interrupted: stopped.message }]);
    expect(runner.current()).toMatchObject({
      state: 'interrupted',
      soFar: { redriven: 1200 },
      interrupted: stopped.message,
    });
  });

  it('answers "interrupted" with what was moved when Redis stops it before its answer', async () => {
    const audited: RedriveOutcome[] = [];
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    const stopped = new RedriveInterruptedError({ redriven: 7, skipped: 1 }, new Error('gone'));
    const started = await runner.start(
      who,
      () => Promise.reject(stopped),
      (o) => audited.push(o),
    );
    expect(started).toEqual({
      state: 'interrupted',
      partial: { redriven: 7, skipped: 1 },
      message: stopped.message,
    });
    expect(audited).toEqual([{ redriven: 7, skipped: 1, interrupted: stopped.message }]);
  });
});
