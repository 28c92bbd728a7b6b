import { describe, expect, it } from 'vitest';
import { scrubLogFields, scrubText } from './log-scrub.ts';

describe('scrubLogFields', () => {
  it('passes a line with nothing to censor on as it is, without a copy', () => {
    const fields = { lane: 2, ids: ['a', 'b'], where: { bucket: 'b', key: 'k' } };
    expect(scrubLogFields(fields)).toBe(fields);
  });

  it('copies only what it changes, and leaves the caller’s objects alone', () => {
    const commit = { key: 'k', siblings: [{ value: 'djE=' }] };
    const fields = { lane: 2, job: { commit }, other: { n: 1 } };
    const out = scrubLogFields(fields);
    expect(out).toEqual({
      lane: 2,
      job: { commit: { key: 'k', siblings: '[redacted]' } },
      other: { n: 1 },
    });
    expect(out.other).toBe(fields.other);
    expect(commit.siblings).toEqual([{ value: 'djE=' }]);
  });

  it('serializes errors wherever they are, and shows bytes by their length and URLs scrubbed', () => {
    const error = Object.assign(new Error('down: redis://u:Pw0rdPw0rd@h:6379'), {
      value: 'djE=',
      body: 'Ym9keQ==',
    });
    class Holder {
      data = { siblings: [{ value: 'djI=' }] };
    }
    const at = new Date(0);
    const out = scrubLogFields({
      error,
      job: new Holder(),
      bytes: Buffer.from('a commit value'),
      target: new URL('redis://u:Pw0rdPw0rd@h:6379/0'),
      at,
    });
    expect(JSON.stringify(out)).not.toMatch(/djE=|Ym9keQ==|djI=|Pw0rdPw0rd|a commit value/);
    expect(out).toMatchObject({
      error: {
        message: 'down: redis://u:[redacted]@h:6379',
        value: '[redacted]',
        body: '[redacted]',
      },
      job: { data: '[redacted]' },
      bytes: '[14 bytes]',
      target: 'redis://u:[redacted]@h:6379/0',
    });
    expect(out.at).toBe(at);
  });

  it('cuts what is nested too deep rather than walking it', () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: { value: 'x' } } } } } } } };
    expect(JSON.stringify(scrubLogFields(deep))).not.toContain('"x"');
    expect(JSON.stringify(scrubLogFields(deep))).toContain('[nested too deep]');
  });
});

describe('scrubText', () => {
  it('censors a password in a URL’s userinfo or query, and the text a JSON error quotes', () => {
    expect(scrubText('redis://app:p@ss@h:6379')).toBe('redis://app:[redacted]@h:6379');
    expect(scrubText('at redis://h:6379/?db=1&password=s3cr3t&x=1 now')).toBe(
      'at redis://h:6379/?db=1&password=[redacted]&x=1 now',
    );
    expect(scrubText(`Unexpected token 'x', "4111 1111" is not valid JSON`)).toBe(
      'Unexpected token in [text redacted] that is not valid JSON',
    );
    expect(scrubText('plain text')).toBe('plain text');
  });
});
