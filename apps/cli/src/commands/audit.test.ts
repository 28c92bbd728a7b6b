import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { formatAuditRecord, parseAuditArgs } from './audit.ts';

describe('commitlog audit', () => {
  it('takes --last N as two words or with =, 20 when not given', () => {
    expect(parseAuditArgs([])).toBe(20);
    expect(parseAuditArgs(['--last', '5'])).toBe(5);
    expect(parseAuditArgs(['--last=10000'])).toBe(10_000);
  });

  it('refuses anything else as a usage mistake', () => {
    for (const args of [
      ['--last'],
      ['--last', '0'],
      ['--last=1.5'],
      ['--last', '10001'],
      ['5'],
      ['--last', '2', 'x'],
    ]) {
      let error: unknown;
      try {
        parseAuditArgs(args);
      } catch (e) {
        error = e;
      }
      expect(error, args.join(' ')).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
    }
  });

  it('prints one record on one line', () => {
    expect(
      formatAuditRecord({
        at: '2026-12-07T05:00:00.000Z',
        by: 'ada',
        via: 'dashboard',
        action: 'board: pause all lanes',
        detail: { status: 200 },
      }),
    ).toBe('2026-12-07T05:00:00.000Z  dashboard  ada  board: pause all lanes  {"status":200}');
  });
});
