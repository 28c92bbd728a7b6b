import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import { describe, expect, it } from 'vitest';
import { createRedriveRunner, type RedriveAudit, type RedriveOutcome } from './redrive-runner.ts';

/** An audit trail in memory: `opened` for each opening record, then each closing outcome. */
function trail(options: { refuseOpening?: Error } = {}) {
  const records: ('opened' | RedriveOutcome)[] = [];
  const audit: RedriveAudit = {
    opening: () => {
      if (options.refuseOpening) return Promise.reject(options.refuseOpening);
      records.push('opened');
      return Promise.resolve();
    },
    closing: (outcome) => {
      records.push(outcome);
      return Promise.resolve();
    },
  };
  return { audit, records };
}

/** A re-drive the test ends by hand, and the progress callback it was given. */
function heldRedrive() {
  let end: (result: RedriveResult) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  let progress: (soFar: RedriveResult) => void = () => undefined;
  let signal: AbortSignal | undefined;
  let started = 0;
  const run = (onProgress: (soFar: RedriveResult) => void, given: AbortSignal) => {
    started++;
    progress = onProgress;
    signal = given;
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
    signal: () => signal,
  };
}

const who = { by: 'ada', what: 'reason expired' };

describe('the re-drive runner', () => {
  it('answers with the result of a re-drive that ends in time, on record before and after', async () => {
    const { audit, records } = trail();
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    const started = await runner.start(
      who,
      () => {
        expect(records).toEqual(['opened']);
        return Promise.resolve({ redriven: 3, skipped: 1 });
      },
      audit,
    );
    expect(started).toEqual({ state: 'finished', result: { redriven: 3, skipped: 1 } });
    expect(records).toEqual(['opened', { redriven: 3, skipped: 1 }]);
    // Only the re-drives that went on past their request are shown afterwards.
    expect(runner.current()).toBeUndefined();
  });

  it('answers "running" when the answer is due, refuses a second one meanwhile, and audits the end', async () => {
    const { audit, records } = trail();
    let clock = 1_000;
    const runner = createRedriveRunner({ answerWithinMs: 5, now: () => clock });
    const long = heldRedrive();
    const started = await runner.start(who, long.run, audit);
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
    const refused = await runner.start({ by: 'bob', what: 'reason expired' }, second.run, audit);
    expect(refused).toMatchObject({ state: 'busy', run: { by: 'ada', soFar: { redriven: 1000 } } });
    expect(second.started()).toBe(0);
    expect(records).toEqual(['opened']);

    clock = 9_000;
    long.end({ redriven: 2500, skipped: 2 });
    await runner.idle();
    expect(records).toEqual(['opened', { redriven: 2500, skipped: 2 }]);
    expect(runner.current()).toMatchObject({
      state: 'finished',
      soFar: { redriven: 2500, skipped: 2 },
      endedAt: 9_000,
    });
    // The next one may start now.
    const third = await runner.start(
      who,
      () => Promise.resolve({ redriven: 0, skipped: 0 }),
      trail().audit,
    );
    expect(third.state).toBe('finished');
  });

  it('audits what a re-drive had moved when Redis stops it after its answer', async () => {
    const { audit, records } = trail();
    const runner = createRedriveRunner({ answerWithinMs: 5 });
    const long = heldRedrive();
    expect((await runner.start(who, long.run, audit)).state).toBe('running');
    const stopped = new RedriveInterruptedError(
      { redriven: 1200, skipped: 0 },
      new Error('Connection is closed.'),
    );
    long.fail(stopped);
    await runner.idle();
    expect(records).toEqual([
      'opened',
      { redriven: 1200, skipped: 0, interrupted: stopped.message },
    ]);
    expect(runner.current()).toMatchObject({
      state: 'interrupted',
      soFar: { redriven: 1200 },
      interrupted: stopped.message,
    });
  });

  it('answers "interrupted" with what was moved when Redis stops it before its answer', async () => {
    const { audit, records } = trail();
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    const stopped = new RedriveInterruptedError({ redriven: 7, skipped: 1 }, new Error('gone'));
    const started = await runner.start(who, () => Promise.reject(stopped), audit);
    expect(started).toEqual({
      state: 'interrupted',
      partial: { redriven: 7, skipped: 1 },
      message: stopped.message,
    });
    expect(records).toEqual(['opened', { redriven: 7, skipped: 1, interrupted: stopped.message }]);
  });

  it('moves nothing when its opening record cannot be written, and is free again after', async () => {
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    const long = heldRedrive();
    const refused = trail({ refuseOpening: new Error('Connection is closed.') });
    expect(await runner.start(who, long.run, refused.audit)).toEqual({
      state: 'unaudited',
      message: 'Connection is closed.',
    });
    expect(long.started()).toBe(0);
    expect(refused.records).toEqual([]);
    await runner.idle();
    const next = await runner.start(
      who,
      () => Promise.resolve({ redriven: 1, skipped: 0 }),
      trail().audit,
    );
    expect(next.state).toBe('finished');
  });

  it('stops a running re-drive through its signal, and is idle once its closing record is written', async () => {
    let written: () => void = () => undefined;
    const records: ('opened' | RedriveOutcome)[] = [];
    const audit: RedriveAudit = {
      opening: () => Promise.resolve(void records.push('opened')),
      // Held until the test lets it be written.
      closing: (outcome) =>
        new Promise<void>((resolve) => {
          written = () => resolve(void records.push(outcome));
        }),
    };
    const runner = createRedriveRunner({ answerWithinMs: 5 });
    const long = heldRedrive();
    expect((await runner.start(who, long.run, audit)).state).toBe('running');
    expect(long.signal()?.aborted).toBe(false);
    runner.stop('the dashboard is stopping');
    expect(long.signal()?.aborted).toBe(true);
    expect((long.signal()?.reason as Error).message).toBe('the dashboard is stopping');
    // The re-drive sees it between two jobs, and stops with what it had moved.
    const stopped = new RedriveInterruptedError(
      { redriven: 40, skipped: 0 },
      long.signal()?.reason,
    );
    long.fail(stopped);
    let idle = false;
    const idled = runner.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(idle).toBe(false);
    written();
    await idled;
    expect(records).toEqual(['opened', { redriven: 40, skipped: 0, interrupted: stopped.message }]);
  });

  it('starts nothing once stopped, and is idle even when a closing record or a run throws', async () => {
    const runner = createRedriveRunner({ answerWithinMs: 60_000 });
    // A closing record whose write throws, and a run that throws at once: neither holds it.
    const throwing: RedriveAudit = {
      opening: () => Promise.resolve(),
      closing: () => Promise.reject(new Error('closed')),
    };
    await expect(
      runner.start(who, () => Promise.resolve({ redriven: 1, skipped: 0 }), throwing),
    ).rejects.toThrow('closed');
    await runner.idle();
    const thrown = await runner
      .start(
        who,
        () => {
          throw new Error('at once');
        },
        trail().audit,
      )
      .catch((e: unknown) => e);
    expect(thrown).toMatchObject({ message: 'at once' });
    await runner.idle();

    runner.stop('the dashboard is stopping');
    const late = heldRedrive();
    expect(await runner.start(who, late.run, trail().audit)).toEqual({
      state: 'interrupted',
      partial: { redriven: 0, skipped: 0 },
      message: 'nothing was re-driven: the dashboard is stopping',
    });
    expect(late.started()).toBe(0);
  });
});
