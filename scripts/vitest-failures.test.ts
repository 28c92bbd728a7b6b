import { describe, expect, it } from 'vitest';
import { type VitestReport, vitestFailures } from './vitest-failures.ts';

// The shapes are those Vitest's JSON reporter wrote for a failed assertion, a failed beforeAll
// and a failed import.
const report: VitestReport = {
  numPassedTests: 1,
  numFailedTests: 1,
  numPendingTests: 1,
  numTodoTests: 0,
  testResults: [
    {
      name: '/repo/test/a.test.ts',
      status: 'failed',
      message: '',
      assertionResults: [
        {
          fullName: 'outer fails',
          status: 'failed',
          failureMessages: [
            '\u001b[31mAssertionError: expected { a: 1 } to deeply equal { a: 2 }\u001b[39m\n    at /repo/test/a.test.ts:2:64',
          ],
        },
        { fullName: 'outer passes', status: 'passed', failureMessages: [] },
      ],
    },
    {
      name: '/repo/test/b.test.ts',
      status: 'failed',
      message: 'set-up broke',
      assertionResults: [{ fullName: 'x', status: 'skipped', failureMessages: [] }],
    },
    { name: '/repo/test/c.test.ts', status: 'passed', message: '', assertionResults: [] },
  ],
};

describe('vitestFailures', () => {
  it('names each failed test with the first line of its failure, and each file that failed outside its tests', () => {
    expect(vitestFailures(report, '/repo/')).toEqual([
      'test/a.test.ts › outer fails: AssertionError: expected { a: 1 } to deeply equal { a: 2 }',
      'test/b.test.ts: set-up broke',
    ]);
  });

  it('cuts a long first line to one terminal line', () => {
    const long = 'x'.repeat(500);
    const [line] = vitestFailures(
      {
        ...report,
        testResults: [{ name: '/repo/t.test.ts', status: 'failed', message: long }],
      },
      '/repo/',
    );
    expect(line).toBe(`t.test.ts: ${'x'.repeat(197)}...`);
  });

  it('is empty for a report with nothing failed', () => {
    expect(vitestFailures({ ...report, testResults: [report.testResults![2]!] }, '/repo/')).toEqual(
      [],
    );
  });
});
