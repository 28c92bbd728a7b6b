import { describe, expect, it } from 'vitest';
import {
  commitTtlWarning,
  shutdownBudgetWarning,
  workerSettingWarnings,
} from './worker-setting-warnings.ts';

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

describe('commitTtlWarning', () => {
  it('is quiet from an hour up, as the default (24h) is', () => {
    expect(commitTtlWarning({ commitTtlMs: 3_600_000 })).toBe(undefined);
    expect(commitTtlWarning({ commitTtlMs: 86_400_000 })).toBe(undefined);
  });

  it('says what a shorter one does to a Kafka outage', () => {
    expect(commitTtlWarning({ commitTtlMs: 24 * 60_000 })).toBe(
      'COMMIT_TTL (24m) is under 1h: a commit is retried only that long from its ' +
        'acceptance, waiting behind its lane included, so a Kafka outage that long fails its ' +
        'commits as expired (kept for FAILED_RETENTION, to re-drive)',
    );
    expect(commitTtlWarning({ commitTtlMs: 3_599_999 })).toMatch(
      /^COMMIT_TTL \(59m 59s\) is under 1h/,
    );
  });
});

describe('workerSettingWarnings', () => {
  it('names the setting of each warning, and none for the defaults', () => {
    const defaults = { shutdownTimeoutMs: 45_000, lockDurationMs: 30_000, commitTtlMs: 86_400_000 };
    expect(workerSettingWarnings(defaults)).toEqual([]);
    expect(
      workerSettingWarnings({ ...defaults, shutdownTimeoutMs: 1000, commitTtlMs: 2000 }).map(
        (w) => w.setting,
      ),
    ).toEqual(['SHUTDOWN_TIMEOUT', 'COMMIT_TTL']);
  });
});
