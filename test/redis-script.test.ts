// infra/redis/redis.sh (what `./commitlog up` and the test set-up run first) with addresses it
// must not start: it never prints a URL's password, and leaves TLS and cluster addresses to the
// roles instead of refusing them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../infra/redis/redis.sh', import.meta.url));
const PASSWORD = 'S3cret/Redis#Passw0rd';

function redisSh(url: string, command: string) {
  const run = spawnSync('bash', [script, command], {
    env: { PATH: process.env.PATH, REDIS_URL: url, REDIS_START_TIMEOUT: '2' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('infra/redis/redis.sh', () => {
  it('leaves a TLS or cluster address to the roles, and never prints its password', () => {
    for (const url of [
      `rediss://app:${PASSWORD}@redis.internal:6380`,
      `redis-cluster://app:${PASSWORD}@n1:6379,n2:6379`,
    ]) {
      for (const command of ['up', 'status', 'down']) {
        const run = redisSh(url, command);
        expect({ url, command, status: run.status }).toEqual({ url, command, status: 0 });
        expect(run.output).not.toContain('S3cret');
        expect(run.output).toContain('app:***@');
      }
    }
  });

  it('names an unreachable address that it cannot start without its password', () => {
    const run = redisSh(`redis://app:${PASSWORD}@redis.invalid:6379/0`, 'up');
    expect(run.status).toBe(1);
    expect(run.output).not.toContain('S3cret');
    expect(run.output).toContain('redis://app:***@redis.invalid:6379/0');
    expect(run.output).toContain('is not local');
  });
});
