import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { parseDiscardArgs } from './discard.ts';

describe('parseDiscardArgs', () => {
  it('takes one job id, as --job ID or --job=ID', () => {
    expect(parseDiscardArgs(['--job', 'c0ffee'])).toBe('c0ffee');
    expect(parseDiscardArgs(['--job=c0ffee'])).toBe('c0ffee');
  });

  it('refuses anything else as a usage mistake (exit 2), naming what it takes', () => {
    for (const args of [
      [],
      ['c0ffee'],
      ['--job'],
      ['--job='],
      ['--job', '--all'],
      ['--job', 'a', 'b'],
      ['--all'],
    ]) {
      let refused: unknown;
      try {
        parseDiscardArgs(args);
      } catch (error) {
        refused = error;
      }
      expect(refused, args.join(' ')).toBeInstanceOf(CliError);
      expect((refused as CliError).exitCode).toBe(2);
      expect((refused as CliError).message).toBe(
        'discard: takes --job ID, the id of one failed delivery, and nothing else',
      );
    }
  });
});
