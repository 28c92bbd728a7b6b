import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import type { Parsed, Parser } from './env-values.ts';

/** The environment as the process sees it: pass `process.env`. */
export type Env = Record<string, string | undefined>;

/** The zod schema of one environment variable: the raw string (or nothing) in, a typed value out. */
export type EnvVariable<T> = z.ZodType<T, string | undefined>;

/** The variables one role reads, by name. */
export type EnvShape = Record<string, EnvVariable<unknown>>;

/** The typed values of a role's variables, by name. */
export type EnvValues<S extends EnvShape> = { [K in keyof S]: z.output<S[K]> };

/**
 * An unset or blank variable (`FOO=` in a compose file) counts as not set. Values are trimmed
 * unless `keepWhitespace` (a password is taken as written).
 */
function variable<T, U>(
  parse: Parser<T>,
  whenUnset: () => Parsed<U>,
  keepWhitespace = false,
): EnvVariable<T | U> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const unset = raw === undefined || raw.trim() === '';
      const result = unset ? whenUnset() : parse(keepWhitespace ? raw : raw.trim());
      if (result.ok) return result.value;
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    });
}

/** A variable with a default, written as an operator would write it and read the same way. */
export function withDefault<T>(parse: Parser<T>, fallback: string): EnvVariable<T> {
  return variable(parse, () => parse(fallback));
}

/** A variable that must be set; `rule` tells the operator what to set it to. */
export function required<T>(parse: Parser<T>, rule: string): EnvVariable<T> {
  return variable(parse, (): Parsed<never> => ({ ok: false, message: `is required: ${rule}` }));
}

/** A variable that may stay unset (`undefined`). */
export function optional<T>(
  parse: Parser<T>,
  options: { keepWhitespace?: boolean } = {},
): EnvVariable<T | undefined> {
  return variable(parse, () => ({ ok: true, value: undefined }), options.keepWhitespace);
}

/**
 * Reads every variable of a role's schema from `env`. Each variable is parsed on its own, so
 * that one bad variable hides no other, and cross-variable checks can still run on the values
 * that were read (a failed variable is missing from `values`).
 */
export function readEnv<S extends EnvShape>(
  schema: z.ZodObject<S>,
  env: Env,
): { values: Partial<EnvValues<S>>; problems: ConfigProblem[] } {
  const values: Partial<Record<string, unknown>> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, field] of Object.entries(schema.shape)) {
    const result = field.safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else
      problems.push(
        ...result.error.issues.map((issue) => ({ variable: name, message: issue.message })),
      );
  }
  return { values: values as Partial<EnvValues<S>>, problems };
}

/** The values, complete, once there is no problem; otherwise a `ConfigError` naming every one. */
export function complete<S extends EnvShape>(
  values: Partial<EnvValues<S>>,
  problems: ConfigProblem[],
): EnvValues<S> {
  if (problems.length > 0) throw new ConfigError(problems);
  // Every variable parsed (none failed), so every key is present.
  return values as EnvValues<S>;
}

/**
 * NODE_TLS_REJECT_UNAUTHORIZED=0 makes Node accept any certificate, in every TLS connection of the
 * process (Redis's and Kafka's), with one warning on stderr outside the JSON log: a debugging
 * leftover that would hand commits and logins to whoever answers. Refused; a private CA is what
 * REDIS_TLS_CA_FILE and KAFKA_SSL_CA_FILE are for.
 */
export const noTlsVerificationOff = z
  .string()
  .optional()
  .refine((value) => value === undefined || value.trim() !== '0', {
    message:
      'must not be 0: it turns off certificate checks on every TLS connection (Redis, Kafka); give a private CA with REDIS_TLS_CA_FILE or KAFKA_SSL_CA_FILE instead',
  });

/**
 * `DEBUG` turns on the `debug` output of the libraries (ioredis, @platformatic/kafka), which is
 * written past the logger and its redaction: ioredis writes every command with its arguments (a
 * job's data: commit values) and the Kafka client the start of each request (a SASL login). Set to
 * anything but blanks (which turn nothing on), it is refused; LOG_LEVEL=debug is commitlog's own,
 * redacted, detail.
 */
export const noLibraryDebugOutput = z
  .string()
  .optional()
  .refine((value) => value === undefined || value.trim() === '', {
    message:
      "must be unset or blank: it turns on the libraries' own debug output, which writes commit values and Kafka logins past the log's redaction (use LOG_LEVEL=debug)",
  });
