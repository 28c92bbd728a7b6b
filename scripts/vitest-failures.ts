/**
 * The failed tests named in a Vitest JSON report, one line each, for `pnpm test`'s summary: CI
 * keeps only the tail of the output, which without them says that a test failed but not which.
 */
import { stripVTControlCharacters } from 'node:util';

export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: {
    name: string;
    status: string;
    message?: string;
    assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

/** The first line of a failure message, without colour codes, cut to fit one terminal line. */
function firstLine(message: string | undefined): string {
  const line =
    stripVTControlCharacters(message ?? '')
      .trim()
      .split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Each failed test as `file › test: first line of the failure`, and each file that failed
 * outside its tests (a failed hook or import) as `file: first line`.
 */
export function vitestFailures(report: VitestReport, root: string): string[] {
  const failures: string[] = [];
  for (const file of report.testResults ?? []) {
    const name = file.name.startsWith(root) ? file.name.slice(root.length) : file.name;
    const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const test of failed) {
      failures.push(`${name} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
    if (failed.length === 0 && file.status === 'failed') {
      failures.push(`${name}: ${firstLine(file.message)}`);
    }
  }
  return failures;
}
