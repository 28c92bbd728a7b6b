// The README's first command, as a user runs it: `commitlog up` starts the system in the
// foreground; a commit signed and posted with `commitlog post` appears on Kafka; Ctrl-C stops it.
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, deleteKeysMatching } from '@commitlog/queue';
import {
  freePort,
  putCommit,
  startPrivateRedis,
  testKafkaBrokers,
  testRedisUrl,
  uniqueName,
  waitFor,
} from '@commitlog/testkit';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { header, readUntil, text, withAdmin } from './support/kafka-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Processes holding `secret` in their environment: the roles one test's `up` started. */
function rolesOf(secret: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.split('\0').includes(`INGEST_SECRETS=${secret}`)) pids.push(Number(pid));
  }
  return pids;
}

describe('commitlog up, then commitlog post', () => {
  const prefix = uniqueName('up');
  const bucket = uniqueName('up-bucket');
  const topic = defaultTopic('default', bucket);

  afterAll(async () => {
    const redis = createRedisConnection({ url: testRedisUrl(), role: 'worker', onError: () => {} });
    await deleteKeysMatching(redis, `${prefix}:*`).finally(() => redis.disconnect());
    await withAdmin(testKafkaBrokers(), (a) => a.deleteTopics([topic])).catch(() => undefined);
  });

  it('starts ingest, worker and dashboard, delivers a posted commit to Kafka, and stops on SIGINT', async () => {
    const env = {
      ...process.env,
      INGEST_PORT: String(await freePort()),
      INGEST_OPS_PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_OPS_PORT: String(await freePort()),
      QUEUE_PREFIX: prefix,
      INGEST_SECRETS: `up-test-secret-${uniqueName('s')}-0123456789`,
      LOG_LEVEL: 'warn',
    };
    const up = spawn(process.execPath, ['apps/cli/src/main.ts', 'up'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    up.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    up.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
    let ended = false;
    const exited = new Promise<number | null>((resolve) =>
      up.once('exit', (code) => {
        ended = true;
        resolve(code);
      }),
    );
    try {
      // Ends early when up exits (a role that failed to start); the output is the one up had
      // printed by the end of the wait.
      await waitFor(() => stdout.includes('ready:') || ended, {
        timeoutMs: 90_000,
        description: 'up to be ready',
      }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; its output:\n${stdout}`);
      });
      if (!stdout.includes('ready:')) throw new Error(`up exited before it was ready:\n${stdout}`);
      expect(stdout).toContain(`ingest     http://127.0.0.1:${env.INGEST_PORT}`);
      // The configured secret is used, and never printed.
      expect(stdout).toMatch(/^secret {5}from INGEST_SECRETS \(not shown\)$/m);
      expect(stdout).not.toContain(env.INGEST_SECRETS);
      expect(stdout).toContain('up: waiting for the ingest to answer');
      expect(stdout).toContain(`dashboard  http://127.0.0.1:${env.DASHBOARD_PORT}`);
      // Commands that work on a fresh clone, where pnpm is on the PATH only inside ./commitlog.
      expect(stdout).toContain('(bash infra/down.sh stops Redis and Kafka)');
      expect(stdout).not.toContain('pnpm');
      const signIn = await fetch(`http://127.0.0.1:${env.DASHBOARD_PORT}/login`, {
        method: 'POST',
        body: new URLSearchParams({
          username: 'admin',
          password: readFileSync(join(root, '.data', 'dashboard-admin-password'), 'utf8').trim(),
        }),
        redirect: 'manual',
      });
      expect(signIn.status).toBe(303);

      await withAdmin(testKafkaBrokers(), (a) => a.createTopic(topic, { partitions: 1 }));
      const file = join(mkdtempSync(join(tmpdir(), 'commitlog-post-')), 'commit.json');
      writeFileSync(
        file,
        JSON.stringify(putCommit({ bucket, key: 'from-the-readme', value: '{"amount":100}' })),
      );
      const posted = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'post', file], {
        cwd: root,
        env: { ...env, INGEST_URL: `http://127.0.0.1:${env.INGEST_PORT}` },
        encoding: 'utf8',
      });
      expect(posted.status, posted.stderr).toBe(0);
      expect(posted.stdout).toMatch(/^202 \{"id":"[0-9a-f]{64}","lane":\d+,"duplicate":false\}/);

      const records = await readUntil(testKafkaBrokers(), [topic], (rs) => rs.length >= 1);
      expect(text(records[0]?.key)).toBe('from-the-readme');
      expect(text(records[0]?.value)).toBe('{"amount":100}');
      expect(header(records[0]!, 'riak-bucket')).toBe(bucket);
    } catch (error) {
      up.kill('SIGINT');
      throw error;
    }
    // A second Ctrl-C while the roles stop is said and does not cut the stop short. One role is
    // frozen meanwhile, so that the stop is still under way when the second signal comes.
    const frozen = rolesOf(env.INGEST_SECRETS).filter((pid) => pid !== up.pid)[0]!;
    process.kill(frozen, 'SIGSTOP');
    try {
      up.kill('SIGINT');
      await waitFor(() => stdout.includes('up: stopping') || ended, { description: 'the stop' });
      up.kill('SIGINT');
      await waitFor(() => stdout.includes('already stopping') || ended, {
        description: 'the second signal said',
      });
    } finally {
      process.kill(frozen, 'SIGCONT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('up: SIGINT: already stopping the roles');
    expect(stdout).toContain('stopped');
  }, 300_000);

  it('stops the roles it started when it gets SIGTERM while they start', async () => {
    const ports = {
      worker: await freePort(),
      ingest: await freePort(),
      dashboard: await freePort(),
    };
    const secret = `up-test-secret-${uniqueName('s')}-0123456789`;
    const up = spawn(process.execPath, ['apps/cli/src/main.ts', 'up'], {
      cwd: root,
      env: {
        ...process.env,
        INGEST_PORT: String(ports.ingest),
        INGEST_OPS_PORT: String(await freePort()),
        WORKER_PORT: String(ports.worker),
        DASHBOARD_PORT: String(ports.dashboard),
        DASHBOARD_OPS_PORT: String(await freePort()),
        QUEUE_PREFIX: prefix,
        INGEST_SECRETS: secret,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    up.stdout.on('data', (c: Buffer) => (output += c.toString()));
    up.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    const answers = (port: number) =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
    try {
      await waitFor(() => output.includes('up: waiting for the worker'), {
        timeoutMs: 60_000,
        description: 'up to start its roles',
      });
      up.kill('SIGTERM');
      expect(await exited, output).toBe(1);
      expect(output).toMatch(/^commitlog: stopped by SIGTERM while starting/m);
      expect(output).not.toContain('ready:');
      for (const [role, port] of Object.entries(ports)) {
        expect(await answers(port), `${role} still answers`).toBe(false);
      }
      // up waits for its roles to exit before it exits: none may be left, listening or not.
      expect(rolesOf(secret)).toEqual([]);
    } finally {
      up.kill('SIGKILL');
      for (const pid of rolesOf(secret)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
  }, 90_000);

  it('refuses a bad variable in one line that names it, before it starts anything', () => {
    const run = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'up'], {
      cwd: root,
      env: {
        ...process.env,
        QUEUE_PREFIX: prefix,
        LANES: '0',
        WORKER_PORT: 'eighty',
        INGEST_PORT: '70000',
        // More than the ingest process's heap (512 MiB, not this one's) can hold as bodies.
        INGEST_MAX_BYTES_IN_FLIGHT: String(200 * 1024 * 1024),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const lines = `${run.stdout}${run.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(1);
    // Every role's bad variables, each named once.
    expect(lines[0]).toMatch(/^commitlog: invalid configuration: /);
    for (const variable of ['LANES', 'WORKER_PORT', 'INGEST_PORT', 'INGEST_MAX_BYTES_IN_FLIGHT']) {
      expect(lines[0]!.split(`${variable}: `)).toHaveLength(2);
    }
    // Neither Redis's nor Kafka's script ran (each prints its own lines).
    expect(lines[0]).not.toMatch(/^(redis|kafka):/);
  });

  it('says that the local Redis refuses the credentials in REDIS_URL, without the password', async () => {
    const redis = await startPrivateRedis();
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    const password = 'Up-Test-Redis-Passw0rd';
    try {
      await admin.config('SET', 'requirepass', password);
      for (const [url, why] of [
        [redis.url, 'it needs a password, and REDIS_URL gives none (NOAUTH)'],
        [
          `redis://:Wrong-${password}@127.0.0.1:${redis.port}`,
          'the user name or password in REDIS_URL is wrong (WRONGPASS)',
        ],
      ] as const) {
        const run = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'up'], {
          cwd: root,
          env: {
            ...process.env,
            REDIS_URL: url,
            // No pid file of the shared Redis: this Redis is the only one redis.sh looks at.
            REDIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'up-redis-data-')),
            QUEUE_PREFIX: prefix,
          },
          encoding: 'utf8',
          timeout: 60_000,
        });
        const output = `${run.stdout}${run.stderr}`;
        expect(run.status, output).toBe(1);
        expect(output).toContain(
          `redis: the Redis on 127.0.0.1:${redis.port} refuses the credentials in REDIS_URL`,
        );
        expect(output).toContain(why);
        expect(output).not.toContain('does not answer PING');
        expect(output).not.toContain(password);
      }
    } finally {
      admin.disconnect();
      await redis.cleanup();
    }
  }, 120_000);
});
