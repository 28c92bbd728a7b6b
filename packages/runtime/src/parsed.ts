/** The outcome of reading one environment value: the typed value, or what is wrong with it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Reads one non-blank environment value. Messages never repeat a secret. */
export type Parser<T> = (text: string) => Parsed<T>;

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function bad(message: string): Parsed<never> {
  return { ok: false, message };
}

/** ` (got "…")`, the tail of a message about a value that is not secret. */
export function got(text: string): string {
  return ` (got ${JSON.stringify(text)})`;
}
