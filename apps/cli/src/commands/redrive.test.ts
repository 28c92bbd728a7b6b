import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { formatRedriveResult, parseRedriveArgs, redriveNotFound } from './redrive.ts';

function refusal(args: string[]): string {
  try {
    parseRedriveArgs(args);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error(`accepted ${args.join(' ')}`);
}

describe('redrive arguments', () => {
  it('reads every filter, as two words or with =', () => {
    expect(
      parseRedriveArgs([
        '--reason',
        'expired',
        '--bucket=base64:/w==',
        '--bucket-type',
        'maps',
        '--older-than',
        '1h',
        '--job=abc',
      ]),
    ).toEqual({
      reason: 'expired',
      bucket: 'base64:/w==',
      bucketType: 'maps',
      olderThanMs: 3_600_000,
      jobId: 'abc',
    });
    expect(parseRedriveArgs(['--all'])).toEqual({});
  });

  it('refuses a bare redrive, unknown flags, missing values and bad durations', () => {
    expect(refusal([])).toContain('give at least one filter');
    expect(refusal(['--all', '--reason', 'expired'])).toContain('--all cannot be combined');
    expect(refusal(['--reasn', 'expired'])).toBe('redrive: unknown argument "--reasn"');
    expect(refusal(['--reason'])).toBe('redrive: --reason needs a value');
    expect(refusal(['--reason', '--all'])).toBe('redrive: --reason needs a value');
    expect(refusal(['--reason=a', '--reason=b'])).toBe('redrive: --reason given twice');
    expect(refusal(['--all', '--all'])).toBe('redrive: --all given twice');
    expect(refusal(['--older-than', 'soon'])).toContain(
      '--older-than: must be a duration above zero such as 500ms, 30s, 90m, 24h or 14d (got "soon")',
    );
    expect(refusal(['--older-than', 'soon'])).not.toContain('a bare number is milliseconds');
    expect(refusal(['expired'])).toBe('redrive: unknown argument "expired"');
  });

  it('reports how many were re-driven, and skipped ones only when there are some', () => {
    expect(formatRedriveResult({ redriven: 3, skipped: 0 })).toBe('redrive: 3 re-driven');
    expect(formatRedriveResult({ redriven: 0, skipped: 2 })).toBe(
      'redrive: 0 re-driven, 2 skipped (moved, removed or failed again meanwhile)',
    );
  });

  it('names the failed deliveries it left failed because their jobs hold no commit', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    expect(formatRedriveResult({ redriven: 4, skipped: 0, unreadable: { count: 12, ids } })).toBe(
      `redrive: 4 re-driven, 12 left failed: their jobs hold no commit (their data in Redis is not valid JSON, or not a commit job's), so they cannot be re-driven: ${ids.join(', ')}, … (the dashboard lists them as (unreadable); discard each with commitlog discard --job ID)`,
    );
    // Something matched: not a typo'd filter.
    expect(
      redriveNotFound(
        { reason: 'expired' },
        { redriven: 0, skipped: 0, unreadable: { count: 1, ids: ['c-1'] } },
        [],
      ),
    ).toBeUndefined();
  });

  it('names the failed ids whose jobs are gone, which only a discard removes', () => {
    expect(
      formatRedriveResult({
        redriven: 1,
        skipped: 0,
        unreadable: { count: 1, ids: ['c-1'] },
        jobGone: { count: 11, ids: ['c-2', 'c-3'] },
      }),
    ).toBe(
      "redrive: 1 re-driven, 1 left failed: their jobs hold no commit (their data in Redis is not valid JSON, or not a commit job's), so they cannot be re-driven: c-1 (the dashboard lists them as (unreadable); discard each with commitlog discard --job ID)" +
        ', 11 left failed: their jobs are gone from Redis (only their ids are left in the failed sets, which status counts), so there is nothing to re-drive: c-2, c-3, … (remove each id with commitlog discard --job ID)',
    );
    // The id is in a failed set: not "no failed delivery has the id".
    expect(
      redriveNotFound(
        { jobId: 'c-2' },
        { redriven: 0, skipped: 0, jobGone: { count: 1, ids: ['c-2'] } },
        [],
      ),
    ).toBeUndefined();
  });

  it('wants a unit and more than zero for --older-than, as configuration durations do', () => {
    expect(refusal(['--older-than', '5'])).toBe(
      'redrive: --older-than: must say its unit, such as 5ms or 5s: a bare number could mean either (got "5")',
    );
    expect(refusal(['--older-than=0s'])).toBe(
      'redrive: --older-than: must be a duration above zero such as 500ms, 30s, 90m, 24h or 14d (got "0s")',
    );
    expect(parseRedriveArgs(['--older-than=5m'])).toEqual({ olderThanMs: 300_000 });
  });
});

describe('a redrive that matched nothing', () => {
  const none = { redriven: 0, skipped: 0 };
  const reasons = [
    { reason: 'expired', count: 3 },
    { reason: 'too-large', count: 1 },
  ];

  it('is no mistake with --all (no filter), nor when something matched', () => {
    expect(redriveNotFound({}, none, reasons)).toBeUndefined();
    expect(redriveNotFound({ reason: 'expired' }, { redriven: 0, skipped: 1 }, [])).toBeUndefined();
    expect(redriveNotFound({ bucket: 'b' }, { redriven: 2, skipped: 0 }, reasons)).toBeUndefined();
  });

  it('says that --bucket or --older-than matched none of the failed deliveries', () => {
    expect(redriveNotFound({ bucket: 'transactons' }, none, reasons)).toBe(
      'redrive: none of the 4 failed deliveries match --bucket "transactons"',
    );
    expect(redriveNotFound({ bucket: 'payments/transactions' }, none, reasons)).toBe(
      'redrive: none of the 4 failed deliveries match --bucket "payments/transactions" (--bucket ' +
        'takes the bucket name alone, without its bucket type or key: give the type as --bucket-type)',
    );
    expect(redriveNotFound({ bucket: 'b', bucketType: 'maps' }, none, reasons)).toBe(
      'redrive: none of the 4 failed deliveries match --bucket "b" and --bucket-type "maps"',
    );
    expect(redriveNotFound({ bucket: 'b', olderThanMs: 3_600_000 }, none, [])).toBe(
      'redrive: no failed delivery matches --bucket "b" and --older-than: there are no failed deliveries',
    );
    expect(redriveNotFound({ olderThanMs: 3_600_000 }, none, reasons)).toBe(
      'redrive: none of the 4 failed deliveries match --older-than',
    );
  });

  it('lists the reasons there are when --reason names none of them', () => {
    expect(redriveNotFound({ reason: 'expird' }, none, reasons)).toBe(
      'redrive: no failed delivery has the reason "expird"; the reasons now: expired (3), too-large (1)',
    );
    expect(redriveNotFound({ reason: 'expired' }, none, [])).toBe(
      'redrive: no failed delivery has the reason "expired": there are no failed deliveries',
    );
    expect(redriveNotFound({ reason: 'expired', bucket: 'b' }, none, reasons)).toBe(
      'redrive: none of the 3 failed deliveries with the reason "expired" match --bucket',
    );
  });

  it('points --job to where job ids are listed, which commitlog status is not', () => {
    const message = redriveNotFound({ jobId: 'abc' }, none, reasons);
    expect(message).toBe(
      "redrive: no failed delivery has the id abc (the dashboard's Deliveries page lists recent failed deliveries with their jobs; /api/overview has the full ids)",
    );
    expect(message).not.toContain('status');
  });

  it('says that --job with other filters may have missed the id through a filter', () => {
    expect(
      redriveNotFound({ jobId: 'abc', reason: 'expired', olderThanMs: 1 }, none, reasons),
    ).toBe(
      'redrive: no failed delivery has the id abc and matches --reason "expired" and --older-than (without them, --job looks for the id alone)',
    );
  });
});
