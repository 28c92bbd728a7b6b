import { describe, expect, it } from 'vitest';
import { parseRateArgs } from './rate-args.ts';

const defaults = { rates: '100,200', seconds: '10' };

describe('the fixed-rate tools’ arguments', () => {
  it('takes rates and seconds, each with its default', () => {
    expect(parseRateArgs([], defaults)).toEqual({ rates: [100, 200], seconds: 10 });
    expect(parseRateArgs(['950'], defaults)).toEqual({ rates: [950], seconds: 10 });
    expect(parseRateArgs(['950,1900', '2.5'], defaults)).toEqual({
      rates: [950, 1900],
      seconds: 2.5,
    });
  });

  it('refuses what is not a positive number, and extra arguments', () => {
    expect(parseRateArgs(['0'], defaults)).toBeUndefined();
    expect(parseRateArgs(['100,x'], defaults)).toBeUndefined();
    expect(parseRateArgs(['100,'], defaults)).toBeUndefined();
    expect(parseRateArgs(['100', '-1'], defaults)).toBeUndefined();
    expect(parseRateArgs(['100', '10', 'more'], defaults)).toBeUndefined();
  });
});
