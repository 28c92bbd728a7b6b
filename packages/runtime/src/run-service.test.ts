import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config-error.ts';
import { runService } from './run-service.ts';

const config = { logLevel: 'silent' as const, shutdownTimeoutMs: 1000 };

describe('runService', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('prints a bad configuration as one line and exits 1 without starting', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const start = vi.fn();
    await runService({
      service: 'worker',
      loadConfig: () => {
        throw new ConfigError([{ variable: 'LANES', message: 'must be an integer' }]);
      },
      start,
      stopStep: 'stop',
    });
    expect(start).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(1);
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog worker: invalid configuration: LANES: must be an integer\n',
    ]);
  });

  it('exits 1 when start-up fails, saying why in one line on standard error', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runService({
      service: 'ingest',
      loadConfig: () => config,
      start: () => Promise.reject(new Error('cannot listen on 127.0.0.1:8080: the port is taken')),
      stopStep: 'stop',
    });
    expect(process.exitCode).toBe(1);
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog ingest: failed to start: cannot listen on 127.0.0.1:8080: the port is taken\n',
    ]);
  });

  it('keeps the start-up failure line one line, without a password a URL in it holds', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runService({
      service: 'worker',
      loadConfig: () => config,
      start: () => Promise.reject(new Error('cannot reach redis://app:hunter2@redis:6379\nnow')),
      stopStep: 'stop',
    });
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog worker: failed to start: cannot reach redis://app:[redacted]@redis:6379\\nnow\n',
    ]);
  });

  it('names REDIS_URL when Redis refused the login, in its own words', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runService({
      service: 'worker',
      loadConfig: () => config,
      start: () =>
        Promise.reject(new Error('WRONGPASS invalid username-password pair or user is disabled.')),
      stopStep: 'stop',
    });
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog worker: failed to start: WRONGPASS invalid username-password pair or user is disabled. (Redis refused the login, or its rights: the user and password in REDIS_URL)\n',
    ]);
  });

  /** A signal source of the test's own, and the exit code the stop asked for. */
  function fakeProcess() {
    const signals = new EventEmitter();
    let exited: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => (exited = resolve));
    return {
      processLike: {
        once: (s: NodeJS.Signals, l: (s: NodeJS.Signals) => void) => signals.once(s, l),
        off: (s: NodeJS.Signals, l: (s: NodeJS.Signals) => void) => signals.off(s, l),
      },
      exit: (code: number) => exited(code),
      signal: (s: NodeJS.Signals) => signals.emit(s, s),
      exitCode,
    };
  }

  it('stops a start-up that waits when a signal comes, and exits 0 without a fatal line', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const fake = fakeProcess();
    const started = vi.fn();
    let waited = false;
    const running = runService({
      service: 'worker',
      loadConfig: () => config,
      // Waits for Redis until it answers, or until the stop.
      start: (_config, _logger, stopped) =>
        new Promise((_resolve, reject) =>
          stopped.addEventListener('abort', () => {
            waited = true;
            reject(new Error('stopped while waiting for Redis'));
          }),
        ),
      stopStep: 'stop',
      started,
      processLike: fake.processLike,
      exit: fake.exit,
    });
    fake.signal('SIGTERM');
    expect(await fake.exitCode).toBe(0);
    await running;
    expect(waited).toBe(true);
    expect(started).not.toHaveBeenCalled();
    expect(process.exitCode).toBeUndefined();
    // Why the start-up ended is said, in case it was not the stop (a refused password found as
    // the stop came).
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog worker: start-up ended as it was stopped: stopped while waiting for Redis\n',
    ]);
  });

  it('closes what a start-up opened when the signal came while it ran', async () => {
    const fake = fakeProcess();
    const close = vi.fn(() => Promise.resolve());
    let finishStart: () => void = () => undefined;
    const running = runService({
      service: 'worker',
      loadConfig: () => config,
      // Lanes already taking jobs when the signal comes: the start-up ends, then the stop.
      start: () =>
        new Promise<{ close: () => Promise<void> }>(
          (resolve) => (finishStart = () => resolve({ close })),
        ),
      stopStep: 'stop',
      processLike: fake.processLike,
      exit: fake.exit,
    });
    fake.signal('SIGINT');
    finishStart();
    expect(await fake.exitCode).toBe(0);
    await running;
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('starts the service and reports it', async () => {
    const before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT') };
    const started = vi.fn();
    const close = vi.fn(() => Promise.resolve());
    try {
      await runService({
        service: 'ingest',
        loadConfig: () => config,
        start: () => Promise.resolve({ port: 1234, close }),
        stopStep: 'stop',
        started,
      });
      expect(started).toHaveBeenCalledWith(
        expect.objectContaining({ port: 1234 }),
        config,
        expect.anything(),
      );
      expect(process.exitCode).toBeUndefined();
    } finally {
      // Take back only the shutdown handlers this test added, passed or not: the test files
      // share a process (vitest.config.ts), and a handler left would exit it on a signal.
      for (const l of process.listeners('SIGTERM'))
        if (!before.term.includes(l)) process.off('SIGTERM', l);
      for (const l of process.listeners('SIGINT'))
        if (!before.int.includes(l)) process.off('SIGINT', l);
    }
  });
});

describe('a role process with an error nothing caught', () => {
  it('logs it as fatal without what the logger withholds, and exits 1', () => {
    // An ioredis error carries its command and arguments: Node's default printed them all.
    const script = `
      import { runService } from ${JSON.stringify(new URL('./run-service.ts', import.meta.url).href)};
      await runService({
        service: 'worker',
        uncaughtErrors: process,
        loadConfig: () => ({ logLevel: 'info', shutdownTimeoutMs: 1000 }),
        start: () => {
          setTimeout(() => {
            throw Object.assign(new Error('WRONGPASS invalid username-password pair'), {
              command: { name: 'hello', args: ['3', 'AUTH', 'worker', 'S3CRET-PASSWORD'] },
            });
          }, 10);
          return Promise.resolve({ close: () => Promise.resolve() });
        },
        stopStep: 'stop',
      });
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(1);
    const fatal = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string; err?: { message: string } })
      .find((line) => line.level === 'fatal');
    expect(fatal).toMatchObject({
      msg: 'worker crashed: an error nothing caught',
      err: { message: 'WRONGPASS invalid username-password pair' },
    });
    expect(run.stdout + run.stderr).not.toContain('S3CRET-PASSWORD');
  });
});
