import { createLogger } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { logRequest, withoutMapNames } from './request-log.ts';

describe('the request log', () => {
  it('names the field of a refusal without the usermeta or index name inside it', () => {
    expect(withoutMapNames('siblings[0].usermeta["x-card \\"7\\""]: expected a string')).toBe(
      'siblings[0].usermeta[…]: expected a string',
    );
    expect(withoutMapNames('commits[2].siblings[1].indexes.acct_bin[0]: not valid base64')).toBe(
      'commits[2].siblings[1].indexes[…][0]: not valid base64',
    );
    expect(withoutMapNames('siblings[0].value: not valid base64')).toBe(
      'siblings[0].value: not valid base64',
    );
  });

  it('writes the shortened reason into the line', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ service: 'ingest', level: 'info' });
    logger.info = (line: Record<string, unknown>) => void lines.push(line);
    logRequest(logger, {
      requestId: 'r-1',
      method: 'POST',
      route: '/v1/commits',
      status: 400,
      aborted: false,
      client: '10.1.2.3',
      seconds: 0.001,
      error: { code: 'INVALID_COMMIT', message: 'siblings[0].usermeta.pan: expected a string' },
      summary: {},
    });
    expect(lines).toMatchObject([
      { status: 400, client: '10.1.2.3', reason: 'siblings[0].usermeta[…]: expected a string' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('pan');
  });
});
