/**
 * The `[rates] [seconds]` arguments of the fixed-rate tools (`bench:latency`, `bench:enqueue`):
 * rates as a comma-separated list of positive numbers, seconds per rate as a positive number.
 */
export function parseRateArgs(
  args: readonly string[],
  defaults: { rates: string; seconds: string },
): { rates: number[]; seconds: number } | undefined {
  if (args.length > 2) return undefined;
  const [ratesArg = defaults.rates, secondsArg = defaults.seconds] = args;
  const rates = ratesArg.split(',').map(Number);
  const seconds = Number(secondsArg);
  if (rates.some((r) => !(r > 0)) || !(seconds > 0)) return undefined;
  return { rates, seconds };
}

/** The arguments, or the usage line on standard error and exit code 2. */
export function rateArgsOrExit(
  usage: string,
  defaults: { rates: string; seconds: string },
): { rates: number[]; seconds: number } {
  const parsed = parseRateArgs(process.argv.slice(2), defaults);
  if (parsed) return parsed;
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
