import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { openRoleLogs, roleFailure } from '../role-logs.ts';
import { kafkaBrokersForRoles, up } from './up.ts';

describe('commitlog up, before anything starts', () => {
  it('refuses a bad variable in one error and writes no local secret', async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'up-'));
    const error = await up({
      repoRoot,
      env: { LANES: '0' },
      out: () => undefined,
      stopSignal: new Promise(() => undefined),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toContain('LANES');
    // Neither the signing secret, the session secret nor the admin password was kept.
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('names a bad INGEST_SECRETS with the other bad variables, once', async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'up-'));
    const error = await up({
      repoRoot,
      env: { LANES: '0', INGEST_SECRETS: 'too-short', WORKER_PORT: 'eighty' },
      out: () => undefined,
      stopSignal: new Promise(() => undefined),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable);
    expect(variables.filter((v) => v === 'INGEST_SECRETS')).toHaveLength(1);
    expect(variables).toEqual(expect.arrayContaining(['LANES', 'WORKER_PORT']));
    expect((error as ConfigError).message).not.toContain('too-short');
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('refuses a role log it cannot write, naming it, before any role starts', () => {
    const logDir = mkdtempSync(join(tmpdir(), 'up-logs-'));
    mkdirSync(join(logDir, 'ingest.log'));
    let error: unknown;
    try {
      openRoleLogs(logDir, ['worker', 'ingest', 'dashboard']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      `cannot write the ingest's log ${join(logDir, 'ingest.log')} (EISDIR)`,
    );
    const fds = openRoleLogs(mkdtempSync(join(tmpdir(), 'up-logs-')), ['worker']);
    expect(fds.get('worker')).toEqual(expect.any(Number));
  });

  it('says why a role did not come up in one line, with its log’s last line', () => {
    expect(
      roleFailure(
        'worker',
        'http://127.0.0.1:8082',
        { code: 1, signal: null },
        '/r/.data/logs/worker.log',
        '{"level":50,"msg":"invalid configuration: KAFKA_BROKERS …"}',
      ),
    ).toBe(
      'the worker exited (code 1) before it answered at http://127.0.0.1:8082; its log ends: ' +
        '{"level":50,"msg":"invalid configuration: KAFKA_BROKERS …"} (all of it in /r/.data/logs/worker.log)',
    );
    expect(roleFailure('ingest', 'http://h:1', undefined, '/l', '')).toBe(
      'the ingest did not answer at http://h:1 within 60 s; its log is empty (all of it in /l)',
    );
  });

  it('has the roles dial the local broker on KAFKA_PORT when only that is set', () => {
    expect(kafkaBrokersForRoles({ KAFKA_PORT: '9192' })).toBe('127.0.0.1:9192');
    expect(kafkaBrokersForRoles({ KAFKA_PORT: '9192', KAFKA_BROKERS: 'k:9092' })).toBe('k:9092');
    expect(kafkaBrokersForRoles({ KAFKA_PORT: '9192', KAFKA_HOST: '10.0.0.5' })).toBe(
      '10.0.0.5:9192',
    );
    expect(kafkaBrokersForRoles({})).toBeUndefined();
  });
});
