import { describe, expect, it } from 'vitest';
import { parseFailureLogLine } from './failure-log.ts';

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
    const noCommit = parseFailureLogLine('{"reason": "x"}', 7);
    expect(noCommit && 'problem' in noCommit ? noCommit.problem : '').toContain('no commit');
  });
});
