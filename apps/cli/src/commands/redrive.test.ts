import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { formatRedriveResult, parseRedriveArgs } from './redrive.ts';

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
        '--older-than',
        '1h',
        '--job=abc',
      ]),
    ).toEqual({ reason: 'expired', bucket: 'base64:/w==', olderThanMs: 3_600_000, jobId: 'abc' });
    expect(parseRedriveArgs(['--all'])).toEqual({});
  });

  it('refuses a bare redrive, unknown flags, missing values and bad durations', () => {
    expect(refusal([])).toContain('give at least one filter');
    expect(refusal(['--all', '--reason', 'expired'])).toContain('--all cannot be combined');
    expect(refusal(['--reasn', 'expired'])).toBe('redrive: unknown argument "--reasn"');
    expect(refusal(['--reason'])).toBe('redrive: --reason needs a value');
    expect(refusal(['--reason', '--all'])).toBe('redrive: --reason needs a value');
    expect(refusal(['--reason=a', '--reason=b'])).toBe('redrive: --reason given twice');
    expect(refusal(['--older-than', 'soon'])).toContain('--older-than: invalid duration "soon"');
    expect(refusal(['expired'])).toBe('redrive: unknown argument "expired"');
  });

  it('reports how many were re-driven, and skipped ones only when there are some', () => {
    expect(formatRedriveResult({ redriven: 3, skipped: 0 })).toBe('redrive: 3 re-driven');
    expect(formatRedriveResult({ redriven: 0, skipped: 2 })).toBe(
      'redrive: 0 re-driven, 2 skipped (moved or removed meanwhile)',
    );
  });
});
