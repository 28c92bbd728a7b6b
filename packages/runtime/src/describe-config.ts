import { maskRedisUrl } from './redis-url.ts';

const REDACTED = '[redacted]';

/** Keys whose values are credentials: signing secrets, SASL passwords, dashboard users. */
const SECRET_KEY = /secret|password|passwd|token|credential|users/i;

/** Keys holding a Redis URL, whose password is masked but whose host stays readable. */
const REDIS_URL_KEY = /redisUrl$/;

/** PEM text (certificates read from a file): logged as how many blocks it holds, not as text. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----/g;

/**
 * A copy of a loaded configuration that is safe to log at start-up: credentials become
 * `[redacted]` (a list of them is counted in `<name>Count`, which shows whether a rotation is
 * under way), the Redis URL's password becomes `***`, PEM certificates become `[PEM: n blocks]`
 * and a PEM private key `[redacted]`. Unset values stay `undefined`.
 */
export function describeConfig(config: object): Record<string, unknown> {
  return describeObject(config);
}

function describeObject(object: object): Record<string, unknown> {
  const described: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    described[key] = describeValue(key, value);
    // The logger censors a field named `secrets` whole: its count goes beside it.
    if (SECRET_KEY.test(key) && Array.isArray(value)) described[`${key}Count`] = value.length;
  }
  return described;
}

function describeValue(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_KEY.test(key)) return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  if (REDIS_URL_KEY.test(key) && typeof value === 'string') return maskRedisUrl(value);
  if (typeof value === 'string' && value.includes('-----BEGIN ')) {
    if (value.includes('PRIVATE KEY')) return REDACTED;
    const blocks = value.match(PEM_BLOCK)?.length ?? 0;
    return `[PEM: ${blocks} ${blocks === 1 ? 'block' : 'blocks'}]`;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => describeValue('', item));
  if (typeof value === 'object') return describeObject(value);
  return value;
}
