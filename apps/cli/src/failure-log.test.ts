import { describe, expect, it } from 'vitest';
import { parseFailureLogLine, readFailureLogLine } from './failure-log.ts';

const commit = { bucketType: 'default', bucket: 'b', key: 'k', op: 'delete', siblings: [] };

describe('parseFailureLogLine', () => {
  it('reads the hook line format and a bare commit', () => {
    const hookLine = JSON.stringify({
      failedAt: '2026-11-24T12:00:00.000000Z',
      reason: 'breaker_open',
      commit,
    });
    expect(parseFailureLogLine(hookLine, 1)).toMatchObject({ line: 1, commit });
    expect(parseFailureLogLine(JSON.stringify(commit), 2)).toMatchObject({ line: 2, commit });
  });

  it('refuses a line with a name given twice, which re-encoding would resolve in silence', () => {
    expect(
      parseFailureLogLine(
        '{"commit":{"bucket":"b","key":"k","op":"put","siblings":[{"value":"AA=="}],"op":"delete"}}',
        7,
      ),
    ).toEqual({ line: 7, problem: 'the name at commit.op is given twice in one object' });
    expect(
      parseFailureLogLine(`{"reason":"timeout","commit":${JSON.stringify(commit)},"commit":{}}`, 8),
    ).toEqual({ line: 8, problem: 'the name at commit is given twice in one object' });
  });

  it('refuses a line with a number that re-encoding would send rounded', () => {
    expect(
      parseFailureLogLine(
        '{"commit":{"bucket":"b","key":"k","op":"put","siblings":[{"value":"AA==","indexes":{"n_int":[9007199254740993]}}]}}',
        3,
      ),
    ).toEqual({
      line: 3,
      problem:
        'the number at commit.siblings[0].indexes.n_int[0] has more digits than JSON.parse keeps (it would be sent as another number); write it as a string',
    });
  });

  it('names a line nested too deeply to re-encode, rather than ending the run', () => {
    const deep = `{"commit":{"bucket":"b","key":"k","op":"put","siblings":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    expect(parseFailureLogLine(deep, 9)).toEqual({
      line: 9,
      problem: 'nested too deeply to be a commit',
    });
  });

  it('names a line nested deeper than any commit before it parses it (millions of levels took the heap)', () => {
    const deep = (levels: number) =>
      Buffer.from(
        `{"commit":{"bucket":"b","key":"k","op":"put","usermeta":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}}`,
      );
    // 32 levels: the line's object, its commit, and 30 in the usermeta.
    const within = readFailureLogLine(deep(30), 4);
    expect(within).toHaveProperty('line', 4);
    expect(within).not.toHaveProperty('problem');
    expect(readFailureLogLine(deep(31), 5)).toEqual({
      line: 5,
      problem: 'nested deeper than 32 levels',
    });
  });

  it('skips blank lines', () => {
    expect(parseFailureLogLine('   ', 3)).toBeUndefined();
  });

  it('names what is wrong with a malformed line, with its number', () => {
    expect(parseFailureLogLine('{"commit": {"key"', 4)).toEqual({
      line: 4,
      problem: 'not valid JSON',
    });
    expect(parseFailureLogLine('[1,2]', 5)).toEqual({ line: 5, problem: 'not a JSON object' });
    expect(parseFailureLogLine('{"commit": 7}', 6)).toEqual({
      line: 6,
      problem: '"commit" is not a JSON object',
    });
    const unencodable = parseFailureLogLine(
      '{"reason":"unencodable","commit":{"unencodable":true,"bucket":"b","key":"k","object":"g2o="}}',
      8,
    );
    expect(unencodable && 'problem' in unencodable ? unencodable.problem : '').toMatch(
      /^the hook could not encode this object \(reason unencodable\)/,
    );
    const noCommit = parseFailureLogLine('{"reason": "x"}', 7);
    expect(noCommit && 'problem' in noCommit ? noCommit.problem : '').toContain('no commit');
  });

  it('names one object however its binaries are written, and tells objects apart', () => {
    const objectOf = (commit: object): string => {
      const parsed = parseFailureLogLine(JSON.stringify({ commit }), 1);
      return parsed && 'object' in parsed ? parsed.object : '';
    };
    const text = objectOf({ bucket: 'b', key: 'k', op: 'put' });
    expect(
      objectOf({ bucketType: 'default', bucket: 'b', key: { base64: 'aw==' }, op: 'put' }),
    ).toBe(text);
    expect(objectOf({ bucket: 'b', key: 'k2', op: 'put' })).not.toBe(text);
    expect(objectOf({ bucketType: 'maps', bucket: 'b', key: 'k', op: 'put' })).not.toBe(text);
    // Bytes that are not UTF-8 stay in their base64 form.
    expect(objectOf({ bucket: 'b', key: { base64: '/w==' }, op: 'put' })).toBe(
      JSON.stringify(['default', 'b', { base64: '/w==' }]),
    );
  });
});
