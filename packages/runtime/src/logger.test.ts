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

  it('drops lines below the configured level', () => {
    const sink = captureLogLines();
    const logger = createLogger({ service: 'cli', level: 'warn', destination: sink });
    logger.info('chatty');
    logger.warn('important');
    expect(sink.lines.map((l) => l.msg)).toEqual(['important']);
  });
});
