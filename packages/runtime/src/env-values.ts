import { maskUnlessPort } from './redis-url.ts';
import { parseDuration } from '@commitlog/core';
import { isIP } from 'node:net';
import { bad, got, ok, type Parser } from './parsed.ts';

export type { Parsed, Parser } from './parsed.ts';
export { redisUrl } from './redis-url-setting.ts';

/**
 * A whole number from `min` to `max` (default: no upper bound), written in plain digits. `why`,
 * when given, explains the bounds in the message.
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER, why?: string): Parser<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  const reason = why === undefined ? '' : `, since ${why}`;
  return (text) => {
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return ok(value);
    return bad(`must be an integer ${range}${reason}${got(text)}`);
  };
}

/**
 * A whole number of seconds, without a unit: the one setting that predates units
 * (`SIGNATURE_MAX_AGE`, as the hook's own setting reads it). Its message says seconds, so that
 * `5m` is not refused with a bare range.
 */
export function wholeSeconds(min: number, max: number): Parser<number> {
  const inRange = integer(min, max);
  return (text) => {
    const read = inRange(text);
    return read.ok
      ? read
      : bad(`must be a whole number of seconds from ${min} to ${max}, without a unit${got(text)}`);
  };
}

/** A TCP port to listen on or connect to. */
export const port: Parser<number> = integer(1, 65_535);

/**
 * A duration above zero, with its unit: `500ms`, `30s`, `90m`, `24h`, `14d`; read as milliseconds.
 * A bare number is refused: seconds (BullMQ's `removeOnFail.age`, Kafka's `*.s` settings) and
 * milliseconds are both common, and a guess would turn FAILED_RETENTION=1209600 (14 days in
 * seconds) into 20 minutes of kept failures, or WORKER_LOCK=30 into a 30 ms lock.
 */
export const duration: Parser<number> = (text) => {
  if (/^\s*\d+\s*$/.test(text)) {
    return bad(
      `must say its unit, such as ${text.trim()}ms or ${text.trim()}s: a bare number could mean either${got(text)}`,
    );
  }
  let ms: number | undefined;
  try {
    ms = parseDuration(text);
  } catch {
    ms = undefined;
  }
  if (ms !== undefined && ms > 0) return ok(ms);
  return bad(`must be a duration above zero such as 500ms, 30s, 90m, 24h or 14d${got(text)}`);
};

/** A duration (as `duration` reads it) of at least `minMs`, and why it must be. */
export function durationAtLeast(minMs: number, minText: string, why: string): Parser<number> {
  return (text) => {
    const parsed = duration(text);
    if (!parsed.ok || parsed.value >= minMs) return parsed;
    return bad(`must be at least ${minText}, since ${why}${got(text)}`);
  };
}

/** A duration (as `duration` reads it) from `minMs` to `maxMs`, and why it must be. */
export function durationWithin(
  min: { ms: number; text: string },
  max: { ms: number; text: string },
  why: string,
): Parser<number> {
  const atLeast = durationAtLeast(min.ms, min.text, why);
  return (text) => {
    const parsed = atLeast(text);
    if (!parsed.ok || parsed.value <= max.ms) return parsed;
    return bad(`must be at most ${max.text}, since ${why}${got(text)}`);
  };
}

/** A duration (as `duration` reads it) of at most `maxMs`, and why it must be. */
export function durationAtMost(maxMs: number, maxText: string, why: string): Parser<number> {
  return (text) => {
    const parsed = duration(text);
    if (!parsed.ok || parsed.value <= maxMs) return parsed;
    return bad(`must be at most ${maxText}, since ${why}${got(text)}`);
  };
}

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A duration (as `duration` reads it) that a timer waits for: at most `MAX_TIMER_MS`, since Node
 * fires a longer timer after 1 ms (SHUTDOWN_TIMEOUT=30d would end every stop at once, undrained).
 */
export function timerDuration(parse: Parser<number> = duration): Parser<number> {
  return (text) => {
    const parsed = parse(text);
    if (!parsed.ok || parsed.value <= MAX_TIMER_MS) return parsed;
    return bad(`must be at most 24d, the longest wait a timer here keeps${got(text)}`);
  };
}

/** One of a fixed set of words, case-insensitive; the value is returned in lower case. */
export function oneOf<const T extends string>(words: readonly T[]): Parser<T> {
  return (text) => {
    const word = words.find((w) => w === text.toLowerCase());
    return word === undefined ? bad(`must be one of ${words.join(', ')}${got(text)}`) : ok(word);
  };
}

/** `true` or `false`, case-insensitive. */
export const boolean: Parser<boolean> = (text) => {
  const parsed = oneOf(['true', 'false'])(text);
  return parsed.ok ? ok(parsed.value === 'true') : bad(`must be true or false${got(text)}`);
};

/** Any text; for names, paths and credentials whose form is someone else's business. */
export const text: Parser<string> = (value) => ok(value);

/** Text matching `pattern`, described to the operator as `description`. */
export function matching(pattern: RegExp, description: string): Parser<string> {
  return (value) => (pattern.test(value) ? ok(value) : bad(`must be ${description}${got(value)}`));
}

/** An address to listen on: a host name, an IPv4 address or an unbracketed IPv6 address. */
export const listenHost: Parser<string> = matching(
  /^[A-Za-z0-9._:-]+$/,
  'a host name or an IP address to listen on, such as 127.0.0.1 or 0.0.0.0',
);

const BROKER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** Comma-separated `host:port` Kafka bootstrap brokers; empty items (a trailing comma) are ignored. */
export const brokers: Parser<string[]> = (value) => {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return bad(`must list at least one host:port${got(value)}`);
  const wrong = items.flatMap((item, i) => {
    const port = Number(BROKER.exec(item)?.[2] ?? 0);
    return port < 1 || port > 65_535 ? [{ item, place: i + 1 }] : [];
  });
  if (wrong.length === 0) return ok(items);
  // One written with a login (`user:password@host:port`) or as a URL
  // (`sasl_ssl://user:password@host`) is named by its place, not repeated: what precedes its `@`
  // may be a password, and the message is printed and logged.
  // `kafka:s3cr3t` too: what follows a host's colon and is no port may be a password (an IPv6
  // address without brackets, several colons, is shown).
  const secretive = (item: string): boolean =>
    item.includes('@') ||
    item.includes('://') ||
    (item.split(':').length === 2 && maskUnlessPort(item) !== item);
  const list = wrong
    .map(({ item, place }) =>
      secretive(item) ? `broker ${place} of ${items.length}` : JSON.stringify(item),
    )
    .join(', ');
  const unshown = wrong.some(({ item }) => secretive(item))
    ? ' (a broker named by its place is not shown, since it may hold a password; a login goes in KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)'
    : '';
  return bad(`each broker must be host:port with a port from 1 to 65535; not ${list}${unshown}`);
};

/** The shortest signing secret accepted: 32 characters, e.g. 16 random bytes in hex. */
export const MIN_SECRET_LENGTH = 32;

/** What `INGEST_SECRETS` must hold; part of the messages, which never show a secret. */
export const SECRETS_RULE = `1 or 2 comma-separated secrets of at least ${MIN_SECRET_LENGTH} characters each`;

/**
 * The ingest's request-signing secrets: one, or two while rotating (the hook signs with either).
 * Each is trimmed. Messages say which secret is wrong and how long it is, never what it is.
 */
export const secrets: Parser<string[]> = (value) => {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return bad(`must hold ${SECRETS_RULE}`);
  if (items.length > 2) {
    return bad(
      `holds ${items.length} secrets; at most 2 are allowed (the current one and the next, during a rotation)`,
    );
  }
  const short = items.flatMap((item, i) =>
    item.length < MIN_SECRET_LENGTH
      ? [`secret ${i + 1} of ${items.length} is ${item.length} characters long`]
      : [],
  );
  if (short.length > 0) {
    return bad(
      `${short.join(', ')}; each must be at least ${MIN_SECRET_LENGTH} (values are not shown)`,
    );
  }
  const unreadable = items.findIndex((item) => item.includes(REPLACEMENT));
  if (unreadable !== -1) {
    return bad(`secret ${unreadable + 1} of ${items.length} ${NOT_UTF8}`);
  }
  return ok(items);
};

/** U+FFFD: what Node puts in an environment variable's place for bytes that are not UTF-8. */
const REPLACEMENT = '\uFFFD';

/**
 * Why a secret holding U+FFFD is refused: Node read bytes there that are not UTF-8, so the key
 * would not be the bytes the hook (or another replica) signs with, and every check would fail.
 */
const NOT_UTF8 =
  'holds bytes that are not UTF-8 (read as U+FFFD), so it would not be the secret the other side holds; use printable ASCII, e.g. openssl rand -hex 32 (the value is not shown)';

/** One secret of at least `MIN_SECRET_LENGTH` characters; the message gives its length, never it. */
export const longSecret: Parser<string> = (value) => {
  if (value.length < MIN_SECRET_LENGTH) {
    return bad(
      `is ${value.length} characters long; it must be at least ${MIN_SECRET_LENGTH} (the value is not shown)`,
    );
  }
  return value.includes(REPLACEMENT) ? bad(NOT_UTF8) : ok(value);
};

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which proxies in front of a server are trusted to say who the client is (`X-Forwarded-For`), as
 * express's `trust proxy` takes it: a number of hops from 1 to 10, or a comma-separated list of
 * addresses, CIDR ranges and the names loopback, linklocal and uniquelocal.
 */
export const trustProxy: Parser<number | string[]> = (value) => {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops >= 1 && hops <= 10
      ? ok(hops)
      : bad(`must be a number of proxies from 1 to 10, or addresses${got(value)}`);
  }
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const wrong = items.filter((item) => {
    if (PROXY_NAMES.includes(item)) return false;
    const [address = '', bits, ...rest] = item.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    if (bits === undefined) return false;
    const n = Number(bits);
    return !/^\d+$/.test(bits) || n > (family === 4 ? 32 : 128);
  });
  if (items.length === 0 || wrong.length > 0) {
    return bad(
      `must be a number of proxies from 1 to 10, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal${got(value)}`,
    );
  }
  return ok(items);
};
