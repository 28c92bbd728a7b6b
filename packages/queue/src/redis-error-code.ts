/**
 * An error from Redis, or from the way to it, as a code of few values: its own code (commitlog's
 * errors, Node's socket errors: `ECONNREFUSED`), else the first word of a Redis error reply
 * (`OOM`, `NOPERM`, `READONLY`, `LOADING`), else `OTHER`. Never the message, which can name
 * jobs, keys, users and addresses: the code is what may go into a metric's label or an answer
 * to a client.
 */
export function redisErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'OTHER';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const reply = error.name === 'ReplyError' ? /^([A-Z]{2,20})\b/.exec(error.message) : null;
  return reply?.[1] ?? 'OTHER';
}
