import type { RedisConnection } from '@commitlog/queue';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { auditedCliAction, cliOperator } from './cli-audit.ts';
import { CliError } from './cli-error.ts';

describe("the CLI's operator", () => {
  const host = () => 'ops-box';

  it('is COMMITLOG_OPERATOR when set, else the login (behind sudo too) at the host', () => {
    expect(cliOperator({ COMMITLOG_OPERATOR: ' ada (CHG-42) ' }, host)).toBe('ada (CHG-42)');
    expect(cliOperator({ SUDO_USER: 'ada' }, host, () => 'root')).toBe('ada@ops-box');
    expect(cliOperator({ COMMITLOG_OPERATOR: ' ' }, host, () => 'node')).toBe('node@ops-box');
  });

  it('is kept on one line, so that a new line or an escape in the variable forges no record', () => {
    expect(cliOperator({ COMMITLOG_OPERATOR: 'ada\nbob\u001b[2J' }, host)).toBe(
      'ada\\nbob\\u001b[2J',
    );
    expect(cliOperator({ SUDO_USER: 'ad\u009ba' }, host)).toBe('ad\\u009ba@ops-box');
  });

  it('is still named when the login cannot be read (a uid without a passwd entry)', () => {
    const noLogin = () => {
      throw new Error('ENOENT');
    };
    expect(cliOperator({}, host, noLogin)).toBe('(unknown)@ops-box');
  });
});

/** A Redis that keeps what is added to the trail, refusing the writes `refuse` says. */
function trail(refuse: (n: number) => boolean = () => false) {
  const records: Record<string, unknown>[] = [];
  const redis = {
    xadd: (...args: string[]) => {
      const n = records.length;
      if (refuse(n)) return Promise.reject(new Error(`refused write ${n}`));
      records.push(JSON.parse(args.at(-1)!) as Record<string, unknown>);
      return Promise.resolve(`${n + 1}-0`);
    },
  } as unknown as RedisConnection;
  return { redis, records };
}

/** Signals a test sends by hand, on a clock it moves, recording the process's quits. */
function handSignals() {
  const emitter = new EventEmitter();
  const state = { clock: 0, quits: [] as number[] };
  const signals = {
    on: (name: string, l: () => void) => emitter.on(name, l),
    off: (name: string, l: () => void) => emitter.off(name, l),
    now: () => state.clock,
    quit: (code: number) => void state.quits.push(code),
  };
  return { emitter, state, signals };
}

describe('an audited CLI action', () => {
  const action = (redis: RedisConnection, run: () => Promise<number>, err: string[] = []) =>
    auditedCliAction({
      redis,
      prefix: 'p',
      by: 'ada@ops-box',
      action: 'redrive',
      asked: { filter: 'all' },
      run,
      outcome: (moved) => ({ redriven: moved }),
      err: (line) => err.push(line),
      closingTries: { tries: 3, pauseMs: 0 },
    });

  it('is on record before it runs, and after with what it did', async () => {
    const { redis, records } = trail();
    expect(await action(redis, () => Promise.resolve(3))).toBe(3);
    expect(records).toEqual([
      expect.objectContaining({
        by: 'ada@ops-box',
        via: 'cli',
        action: 'redrive',
        detail: { filter: 'all', phase: 'started' },
      }),
      expect.objectContaining({
        detail: { filter: 'all', phase: 'done', opened: '1-0', redriven: 3 },
      }),
    ]);
  });

  it('does not run when its first record cannot be written', async () => {
    const { redis } = trail(() => true);
    let ran = false;
    const refused = await action(redis, () => {
      ran = true;
      return Promise.resolve(1);
    }).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(refused).toBeInstanceOf(CliError);
    expect(refused).toMatchObject({
      code: 'AUDIT_UNAVAILABLE',
      message:
        'redrive: nothing done: its audit record could not be written to Redis (refused write 0)',
    });
  });

  it('records a failure part-way by its code, and passes the error on', async () => {
    const { redis, records } = trail();
    const failure = new CliError('REDIS_UNREACHABLE', 'gone');
    await expect(action(redis, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(records[1]).toMatchObject({
      detail: { phase: 'failed', opened: '1-0', error: 'REDIS_UNREACHABLE' },
    });
  });

  it('records what a run did before it failed part-way, as far as its error tells', async () => {
    const { redis, records } = trail();
    const failure = Object.assign(new Error('gone'), { code: 'REDRIVE_INTERRUPTED', moved: 7 });
    const run = auditedCliAction({
      redis,
      prefix: 'p',
      by: 'ada@ops-box',
      action: 'redrive',
      asked: { filter: 'all' },
      run: () => Promise.reject(failure),
      outcome: (moved: number) => ({ redriven: moved }),
      outcomeBefore: (e) => (e === failure ? { redriven: failure.moved } : undefined),
      err: () => undefined,
    });
    await expect(run).rejects.toBe(failure);
    expect(records[1]).toMatchObject({
      detail: {
        filter: 'all',
        phase: 'failed',
        opened: '1-0',
        error: 'REDRIVE_INTERRUPTED',
        redriven: 7,
      },
    });
  });

  /**
   * A re-drive that moves a job a step until its signal is aborted; `atStep` sends the signals
   * (by the hand-held source) at a step. Its error, records, lines on stderr and signal source.
   */
  async function redriveStopped(
    atStep: (moved: number, hand: ReturnType<typeof handSignals>) => void,
  ) {
    const { redis, records } = trail();
    const hand = handSignals();
    const err: string[] = [];
    let moved = 0;
    const stopped = await auditedCliAction({
      redis,
      prefix: 'p',
      by: 'ada@ops-box',
      action: 'redrive',
      asked: { filter: 'all' },
      // A step at a time until its signal is aborted, as the re-drive moves one job at a time.
      run: async (signal) => {
        for (;;) {
          if (signal.aborted) throw Object.assign(new Error(`stopped after ${moved}`), { moved });
          atStep(++moved, hand);
          if (moved > 10) throw new Error('not stopped');
          await Promise.resolve();
        }
      },
      outcome: () => ({}),
      outcomeBefore: (e) => ({ redriven: (e as { moved: number }).moved }),
      err: (line) => err.push(line),
      signals: hand.signals,
    }).catch((e: unknown) => e);
    return { stopped, records, err, ...hand };
  }

  it('stops at Ctrl-C between two steps, on record as interrupted with what it did, exit 130', async () => {
    const { stopped, records, err, emitter, state } = await redriveStopped((moved, hand) => {
      if (moved !== 3) return;
      // The terminal's Ctrl-C, and pnpm's copy of it a moment later: one stop, no quit.
      hand.emitter.emit('SIGINT');
      hand.state.clock += 5;
      hand.emitter.emit('SIGINT');
    });
    expect(stopped).toBeInstanceOf(CliError);
    expect(stopped).toMatchObject({ exitCode: 130, message: 'redrive: stopped after 3' });
    expect(records[1]).toMatchObject({
      detail: { filter: 'all', phase: 'interrupted', opened: '1-0', error: 'ERROR', redriven: 3 },
    });
    expect(err).toEqual([
      'redrive: stopping after the step under way (SIGINT); press Ctrl-C again to quit at once, unaudited',
    ]);
    expect(state.quits).toEqual([]);
    // Its listeners are gone once it ended.
    expect(emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops at a dropped SSH session (SIGHUP) as at Ctrl-C, on record as interrupted, exit 129', async () => {
    const { stopped, records, err, emitter, state } = await redriveStopped((moved, hand) => {
      if (moved === 2) hand.emitter.emit('SIGHUP');
    });
    expect(stopped).toMatchObject({ code: 'INTERRUPTED', exitCode: 129 });
    expect(records[1]).toMatchObject({ detail: { phase: 'interrupted', redriven: 2 } });
    expect(err).toEqual([
      'redrive: stopping after the step under way (SIGHUP); press Ctrl-C again to quit at once, unaudited',
    ]);
    expect(state.quits).toEqual([]);
    expect(emitter.listenerCount('SIGHUP')).toBe(0);
  });

  it('quits at once at a second Ctrl-C past the copies of the first', async () => {
    const { redis } = trail();
    const { emitter, state, signals } = handSignals();
    let release: () => void = () => undefined;
    const run = auditedCliAction({
      redis,
      prefix: 'p',
      by: 'ada@ops-box',
      action: 'redrive',
      asked: { filter: 'all' },
      // A step that does not end (a Redis that does not answer).
      run: () => new Promise<number>((resolve) => (release = () => resolve(0))),
      outcome: () => ({}),
      err: () => undefined,
      signals,
    });
    await new Promise((resolve) => setImmediate(resolve));
    emitter.emit('SIGINT');
    state.clock += 2000;
    emitter.emit('SIGTERM');
    expect(state.quits).toEqual([143]);
    release();
    await run;
  });

  it('says on the terminal that its closing record is missing, after its tries, and still returns', async () => {
    const { redis } = trail((n) => n === 1);
    const err: string[] = [];
    expect(await action(redis, () => Promise.resolve(2), err)).toBe(2);
    expect(err).toEqual([
      'redrive: done; writing its closing audit record once Redis takes it (refused write 1)',
      'redrive: done, but its closing audit record could not be written to Redis (refused write 1); the opening one is 1-0',
    ]);
  });

  it('writes the closing record of a run Redis stopped once Redis takes it again', async () => {
    // Redis is what stopped the run, and refuses the first try of its closing record too.
    let closingTries = 0;
    const { redis, records } = trail((n) => n === 1 && ++closingTries === 1);
    const err: string[] = [];
    const failure = Object.assign(new Error('gone'), { code: 'REDRIVE_INTERRUPTED' });
    await expect(action(redis, () => Promise.reject(failure), err)).rejects.toBe(failure);
    expect(records[1]).toMatchObject({
      detail: { phase: 'failed', opened: '1-0', error: 'REDRIVE_INTERRUPTED' },
    });
    expect(err).toEqual([
      'redrive: stopped part-way; writing its closing audit record once Redis takes it (refused write 1)',
    ]);
  });
});
