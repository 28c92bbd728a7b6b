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

  it('exits 1 when start-up fails', async () => {
    await runService({
      service: 'ingest',
      loadConfig: () => config,
      start: () => Promise.reject(new Error('port taken')),
      stopStep: 'stop',
    });
    expect(process.exitCode).toBe(1);
  });

  it('starts the service and reports it', async () => {
    const before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT') };
    const started = vi.fn();
    const close = vi.fn(() => Promise.resolve());
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
    // Take back only the shutdown handlers this test added.
    for (const l of process.listeners('SIGTERM'))
      if (!before.term.includes(l)) process.off('SIGTERM', l);
    for (const l of process.listeners('SIGINT'))
      if (!before.int.includes(l)) process.off('SIGINT', l);
  });
});
