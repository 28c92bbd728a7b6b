import { oneLine } from '@commitlog/runtime/one-line';
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

  it('keeps a record on one line, and the terminal undriven, whatever its fields hold', () => {
    const line = formatAuditRecord({
      at: '2026-12-07T05:00:00.000Z',
      // COMMITLOG_OPERATOR as someone set it to forge a second row and clear the screen.
      by: 'ada\n2026-12-07T04:00:00.000Z  cli  bob  redrive  {}\u001b[2J',
      via: 'cli',
      action: 'redrive\u009b31m',
      detail: { bucket: 'b\u2028\u001b' },
    });
    expect(line).toBe(
      '2026-12-07T05:00:00.000Z  cli  ada\\n2026-12-07T04:00:00.000Z  cli  bob  redrive  {}\\u001b[2J' +
        '  redrive\\u009b31m  {"bucket":"b\\u2028\\u001b"}',
    );
    // Nothing left that the helper would escape.
    expect(oneLine(line)).toBe(line);
  });
});
