/**
 * The arguments of `pnpm bench:ab NAME=A,B [pairs] [rate]`: one environment setting of the
 * commitlog roles and its two values, how many interleaved pairs, and the fixed open-loop rate.
 */
export interface AbArgs {
  name: string;
  values: [string, string];
  pairs: number;
  rate: number;
}

/** The parsed arguments, or why they cannot be (for the usage line). */
export function parseAbArgs(args: readonly string[]): AbArgs | { problem: string } {
  if (args.length < 1 || args.length > 3) return { problem: 'give NAME=A,B [pairs] [rate]' };
  const [setting = '', pairsArg = '4', rateArg = '400'] = args;
  const match = /^([A-Z][A-Z0-9_]*)=([^,]*),([^,]*)$/.exec(setting);
  if (!match) return { problem: `"${setting}" is not NAME=A,B (an upper-case name, two values)` };
  const [, name, a, b] = match as unknown as [string, string, string, string];
  if (a === b) return { problem: `${name}: the two values are the same` };
  const pairs = Number(pairsArg);
  const rate = Number(rateArg);
  if (!Number.isInteger(pairs) || pairs < 1) return { problem: `pairs: "${pairsArg}" is not ≥ 1` };
  if (!(rate > 0)) return { problem: `rate: "${rateArg}" is not > 0` };
  return { name, values: [a, b], pairs, rate };
}
