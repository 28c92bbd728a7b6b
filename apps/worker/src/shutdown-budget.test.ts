import { describe, expect, it } from 'vitest';
import { shutdownBudgetWarning } from './shutdown-budget.ts';

describe('shutdownBudgetWarning', () => {
  it('is quiet when a stop outlasts a delivery in hand, as the defaults do', () => {
    expect(shutdownBudgetWarning({ shutdownTimeoutMs: 45_000, lockDurationMs: 30_000 })).toBe(
      undefined,
    );
    expect(shutdownBudgetWarning({ shutdownTimeoutMs: 29_000, lockDurationMs: 30_000 })).toBe(
      undefined,
    );
  });

  it('says what stop would be long enough when it is shorter', () => {
    expect(shutdownBudgetWarning({ shutdownTimeoutMs: 20_000, lockDurationMs: 45_000 })).toBe(
      'SHUTDOWN_TIMEOUT (20s) is shorter than a delivery in hand may take (four fifths of ' +
        'WORKER_LOCK, and 5s to flush): at least 41s lets a stop finish them; a stop cut short ' +
        'leaves them to come back after WORKER_LOCK as stalls, delivered again',
    );
    // A millisecond short of four fifths of 30 s and 5 s: still too short, said so.
    expect(shutdownBudgetWarning({ shutdownTimeoutMs: 28_999, lockDurationMs: 30_000 })).toMatch(
      /^SHUTDOWN_TIMEOUT \(28999ms\) .*: at least 29s lets a stop finish them;/,
    );
  });
});
