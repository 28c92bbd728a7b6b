import { captureLogLines } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('writes structured lines bound to the service and to child fields', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    logger.child({ lane: 7, bucket: 'transactions', key: 'txn-1' }).info('delivered');
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).toMatchObject({
      level: 'info',
      service: 'worker',
      lane: 7,
      bucket: 'transactions',
      key: 'txn-1',
      msg: 'delivered',
    });
  });

  it('censors commit values and secrets wherever a caller slips them in', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'ingest', destination: sink });
    logger.warn(
      {
        commit: { key: 'k', siblings: [{ value: 'eyJhbW91bnQiOjEwMH0=' }] },
        sibling: { value: 'eyJhbW91bnQiOjEwMH0=' },
        config: { secret: 's3cr3t', password: 'hunter2' },
        req: { headers: { 'x-commitlog-signature': 't=1,v1=abc', authorization: 'Basic x' } },
      },
      'suspicious input',
    );
    const line = JSON.stringify(sink.lines[0]);
    expect(line).not.toContain('eyJhbW91bnQiOjEwMH0=');
    expect(line).not.toContain('s3cr3t');
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('v1=abc');
    expect(line).not.toContain('Basic x');
    expect(line).toContain('"key":"k"');
  });

  it("keeps a client's failed command and a URL's password out of a logged error", () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    // What ioredis attaches when Redis refuses the sign-in, on every reconnect.
    const refused = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'app', 'S3cretRedisPassw0rd'] },
    });
    const wrapped = new Error('could not connect to redis://app:Ab3/xY9+kQ@redis.internal:6379', {
      cause: Object.assign(new Error('closed'), { command: { name: 'auth', args: ['hunter22'] } }),
    });
    const nested = Object.assign(new Error('Failed to refresh slots cache'), {
      lastNodeError: refused,
    });
    logger.warn({ err: refused }, 'Redis connection error');
    logger.error({ err: wrapped }, 'start-up failed');
    logger.error({ err: nested }, 'cluster');
    const text = sink.lines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toContain('S3cretRedisPassw0rd');
    expect(text).not.toContain('Ab3/xY9+kQ');
    expect(text).not.toContain('hunter22');
    expect(sink.lines[0]).toMatchObject({
      err: { message: 'WRONGPASS invalid username-password pair', command: { name: 'hello' } },
    });
    expect(text).toContain('redis://app:[redacted]@redis.internal:6379');
  });

  it('drops lines below the configured level', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'cli', level: 'warn', destination: sink });
    logger.info('chatty');
    logger.warn('important');
    expect(sink.lines.map((l) => l.msg)).toEqual(['important']);
  });
});
