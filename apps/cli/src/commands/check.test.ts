import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, hashPassword } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { check } from './check.ts';

const SECRET = 'a-signing-secret-of-thirty-two-chars!';

function run(args: string[], env: NodeJS.ProcessEnv): string[] {
  const lines: string[] = [];
  check({ args, env, out: (line) => lines.push(line) });
  return lines;
}

/** A directory holding `routes.json` with `rules`, as the operator's working directory. */
function siteWith(rules: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'commitlog-check-'));
  writeFileSync(join(dir, 'routes.json'), JSON.stringify({ routes: rules }));
  return dir;
}

/** What `fn` throws; undefined when it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('commitlog check', () => {
  it('says a valid configuration is valid, and what it read, with no secret', () => {
    const dir = siteWith([{ bucket: 'payments', topic: 'payments' }]);
    const env = { COMMITLOG_CALLER_DIR: dir, ROUTES_FILE: 'routes.json', INGEST_SECRETS: SECRET };
    const [ingest] = run(['ingest'], env);
    expect(ingest).toBe(
      `check: the ingest's configuration is valid (1 route rule from ${join(dir, 'routes.json')}, 1 signing secret); Redis and Kafka were not contacted: the role checks them as it starts`,
    );
    expect(ingest).not.toContain(SECRET);
    expect(run(['worker'], { KAFKA_BROKERS: 'a:9092,b:9092' })[0]).toContain(
      '(no ROUTES_FILE, 2 Kafka brokers)',
    );
  });

  it('passes on the warnings the worker would log as it starts, after the valid line', () => {
    const lines = run(['worker'], { COMMIT_TTL: '24m', SHUTDOWN_TIMEOUT: '5s' });
    expect(lines[0]).toMatch(/^check: the worker's configuration is valid/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^check: warning: SHUTDOWN_TIMEOUT \(5s\) is shorter than/),
      expect.stringMatching(/^check: warning: COMMIT_TTL \(24m\) is under 1h: /),
    ]);
    expect(run(['worker'], {})).toHaveLength(1);
  });

  it('checks the dashboard users', async () => {
    const users = `admin:admin:${await hashPassword('a-password-of-some-length')}`;
    expect(run(['dashboard'], { DASHBOARD_USERS: users })[0]).toContain('(1 dashboard user)');
    expect(() => run(['dashboard'], {})).toThrow(/DASHBOARD_USERS/);
  });

  it('refuses what the role would refuse at start-up, naming every bad variable', () => {
    // A rule that an earlier one hides: refused since 2026-12-07, and taken before.
    const dir = siteWith([{ topic: 'everything' }, { bucket: 'payments', topic: 'payments' }]);
    const env = { COMMITLOG_CALLER_DIR: dir, ROUTES_FILE: 'routes.json', LANES: '0' };
    const error = thrown(() => run(['worker'], env));
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['LANES', 'ROUTES_FILE']);
  });

  it("checks the ingest's byte budget against the role's heap, not this process's", () => {
    // 600 MiB in flight: more than the ingest's 512 MiB heap, whatever this process's heap.
    const env = { INGEST_SECRETS: SECRET, INGEST_MAX_BYTES_IN_FLIGHT: String(600 * 1024 * 1024) };
    expect(() => run(['ingest'], env)).toThrow(/INGEST_MAX_BYTES_IN_FLIGHT/);
    expect(run(['ingest'], { ...env, NODE_OPTIONS: '--max-old-space-size=8192' })).toHaveLength(1);
  });

  it('takes one role and nothing else', () => {
    for (const args of [[], ['up'], ['worker', 'ingest']]) {
      expect(() => run(args, {})).toThrow(CliError);
    }
    const error = thrown(() => run(['redis'], {}));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      'check takes one argument, the role: ingest, worker, dashboard',
    );
  });
});
