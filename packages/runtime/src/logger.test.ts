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

  it('censors them at any depth, and a password in any text, in fields that are not errors', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    logger.warn(
      {
        job: { id: '7', commit: { key: 'k', siblings: [{ value: 'eyJkZWVwIjoxfQ==' }] } },
        batch: [{ records: [{ topic: 't', Value: 'eyJjYXJkIjo0fQ==' }] }],
        target: { redis: 'rediss://:Hunter2Hunter2@redis.internal:6380/0' },
        source: 'redis://redis.internal:6379/0?password=Qw3rtyQw3rty&db=0',
        lane: 3,
      },
      'nested',
    );
    const line = JSON.stringify(sink.lines[0]);
    for (const secret of [
      'eyJkZWVwIjoxfQ==',
      'eyJjYXJkIjo0fQ==',
      'Hunter2Hunter2',
      'Qw3rtyQw3rty',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(sink.lines[0]).toMatchObject({
      job: { id: '7', commit: { key: 'k', siblings: '[redacted]' } },
      batch: [{ records: [{ topic: 't', Value: '[redacted]' }] }],
      target: { redis: 'rediss://:[redacted]@redis.internal:6380/0' },
      source: 'redis://redis.internal:6379/0?password=[redacted]&db=0',
      lane: 3,
    });
  });

  it("censors a job's data, a child's bound fields and an error's, as a line's own", () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    const child = logger.child({ lane: 1, job: { id: '9', data: { commit: 'eyJjaGlsZCI6MX0=' } } });
    const refused = Object.assign(new Error('produce refused'), {
      records: [{ key: 'k', value: 'eyJlcnIiOjF9' }],
    });
    child.error({ err: refused, data: { kept: true } }, 'refused');
    const line = JSON.stringify(sink.lines[0]);
    expect(line).not.toContain('eyJjaGlsZCI6MX0=');
    expect(line).not.toContain('eyJlcnIiOjF9');
    expect(sink.lines[0]).toMatchObject({
      lane: 1,
      job: { id: '9', data: '[redacted]' },
      err: { message: 'produce refused', records: [{ key: 'k', value: '[redacted]' }] },
      // Only a job's data holds a commit; a field of another name is logged.
      data: { kept: true },
    });
  });

  it("scrubs the message, an error's message taken as it, and fields bound later", () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    logger.warn('cannot reach redis://app:Hunter2Hunter2@redis.internal:6379');
    logger.error(new Error('lost redis://app:Hunter3Hunter3@redis.internal:6379'));
    const child = logger.child({ lane: 1 });
    child.setBindings({ secret: 'S3cr3tS3cr3t' });
    child.info('bound');
    const text = JSON.stringify(sink.lines);
    expect(text).not.toMatch(/Hunter2Hunter2|Hunter3Hunter3|S3cr3tS3cr3t/);
    expect(sink.lines[0]).toMatchObject({
      msg: 'cannot reach redis://app:[redacted]@redis.internal:6379',
    });
    expect(sink.lines[1]).toMatchObject({
      msg: 'lost redis://app:[redacted]@redis.internal:6379',
      err: { message: 'lost redis://app:[redacted]@redis.internal:6379' },
    });
    expect(sink.lines[2]).toMatchObject({ lane: 1, secret: '[redacted]', msg: 'bound' });
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

  it('shows bytes an error holds by their length, never byte by byte', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    const failed = Object.assign(new Error('produce failed'), {
      payload: Buffer.from('{"amount":100}'),
      record: { v: new Uint8Array(Buffer.from('CARD4111')) },
    });
    logger.error({ err: failed }, 'delivery failed');
    const text = JSON.stringify(sink.lines[0]);
    expect(sink.lines[0]).toMatchObject({
      err: { payload: '[14 bytes]', record: { v: '[8 bytes]' } },
    });
    // 123 is "{": the first byte of the payload, as it was logged.
    expect(text).not.toContain('"0":123');
  });

  it('censors an error text logged as a reason or in readiness checks, as in an error', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'ingest', destination: sink });
    const text = 'Redis refused: could not connect to redis://app:Ab3/xY9+kQ@redis.internal:6379';
    logger.warn({ code: 'QUEUE_UNAVAILABLE', reason: text }, 'request');
    logger.warn({ checks: { redis: { ok: false, detail: text } } }, 'not ready');
    const lines = sink.lines.map((l) => JSON.stringify(l)).join('\n');
    expect(lines).not.toContain('Ab3/xY9+kQ');
    const [request, notReady] = sink.lines as [
      { reason: string },
      { checks: { redis: { detail: string } } },
    ];
    expect(request.reason).toContain('redis://app:[redacted]@redis.internal');
    expect(notReady.checks.redis.detail).toContain('redis://app:[redacted]@redis.internal');
    // A failure reason that is a plain code stays as it is.
    logger.error({ reason: 'expired' }, 'delivery failed for good');
    expect(sink.lines[2]).toMatchObject({ reason: 'expired' });
  });

  it('keeps the text a JSON syntax error quotes (a piece of a job or a body) out of a logged error', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'worker', destination: sink });
    const parseError = (text: string): Error => {
      try {
        JSON.parse(text);
      } catch (error) {
        return error as Error;
      }
      throw new Error(`${text} parsed`);
    };
    const quoted = [
      parseError('eyJhbW91bnQiOjEwMH0'), // the whole text quoted
      parseError('[1,2,3,4,5,6,7,8,9,10,11,12,x eyJhbW91bnQiOjEwMH0=]'), // ..."…"... around the fault
      parseError('[1,2,3,4,5,6,7,8,9,10,11,12,"a",x"bnQiOjEwMH0="]'), // quotes inside the quote
    ];
    for (const error of quoted) expect(error.message).toContain('is not valid JSON');
    logger.error({ err: quoted[0] }, 'job data unreadable');
    logger.error({ err: new Error('read failed', { cause: quoted[1] }) }, 'job data unreadable');
    logger.error({ err: quoted[2] }, 'job data unreadable');
    const lines = sink.lines.map((l) => JSON.stringify(l)).join('\n');
    for (const piece of ['eyJhbW91', 'bnQiOj', ',x']) {
      expect(lines).not.toContain(piece);
    }
    expect(sink.lines[0]).toMatchObject({
      err: {
        type: 'SyntaxError',
        message: 'Unexpected token in [text redacted] that is not valid JSON',
      },
    });
  });

  it('drops lines below the configured level', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'cli', level: 'warn', destination: sink });
    logger.info('chatty');
    logger.warn('important');
    expect(sink.lines.map((l) => l.msg)).toEqual(['important']);
  });
});
