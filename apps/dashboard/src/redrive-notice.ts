import type { RedriveResult } from '@commitlog/queue';
import { parseCookies } from './cookies.ts';

/**
 * The cookie that carries a re-drive's counts from the re-drive's answer (a 303) to the one
 * Deliveries page after it, which reads it and deletes it. Not the query string: a link anyone
 * can craft (`/deliveries?redriven=4000`) made the page say deliveries were re-driven that never
 * were. A cookie only this dashboard's answers set (HttpOnly, SameSite=Strict) cannot be given by
 * a link.
 */
export const REDRIVE_NOTICE_COOKIE = 'commitlog_redrive_notice';

/** Where the cookie is sent: the Deliveries page only. */
const NOTICE_PATH = '/deliveries';

/** Long enough for the redirect to be followed, seconds. */
const NOTICE_MAX_AGE_S = 60;

/** The `Set-Cookie` that carries `result`'s counts to the next Deliveries page. */
export function redriveNoticeCookie(result: RedriveResult, secure: boolean): string {
  const value = `${result.redriven}.${result.skipped}.${result.unreadable?.count ?? 0}`;
  return noticeCookie(value, NOTICE_MAX_AGE_S, secure);
}

/** The `Set-Cookie` that deletes the notice once a page has shown it. */
export function redriveNoticeGone(secure: boolean): string {
  return noticeCookie('', 0, secure);
}

function noticeCookie(value: string, maxAgeS: number, secure: boolean): string {
  return [
    `${REDRIVE_NOTICE_COOKIE}=${value}`,
    `Path=${NOTICE_PATH}`,
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeS}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * What the page says after a re-drive, from the notice cookie of a request's `Cookie` header;
 * `present` when the request carried one (to delete), whatever it holds.
 */
export function redriveNoticeOf(cookieHeader: string | undefined): {
  present: boolean;
  notice: string | undefined;
} {
  const value = parseCookies(cookieHeader).get(REDRIVE_NOTICE_COOKIE);
  if (value === undefined) return { present: false, notice: undefined };
  const counts = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})$/.exec(value);
  if (!counts) return { present: true, notice: undefined };
  const [n, s, u] = [Number(counts[1]), Number(counts[2]), Number(counts[3])];
  return { present: true, notice: redriveNotice(n, s, u) };
}

/** The message after a re-drive, from its counts. */
function redriveNotice(n: number, s: number, u: number): string {
  if (n === 0 && s === 0 && u === 0) {
    return (
      'Nothing was re-driven: no failed delivery matched. Another admin or `commitlog redrive` ' +
      'may have re-driven it already, or FAILED_RETENTION removed it.'
    );
  }
  const moved =
    n === 0 && s === 0
      ? 'Nothing was re-driven.'
      : `Re-drove ${n} ${n === 1 ? 'delivery' : 'deliveries'}` +
        (s > 0
          ? `; ${s} had already been moved, removed or failed again (another re-drive, or FAILED_RETENTION)`
          : '') +
        '. They are back at the end of their lanes with a fresh TTL.';
  return u > 0 ? `${moved} ${unreadableLeft(u)}` : moved;
}

/** What the page says of matching deliveries that a re-drive left failed (see `RedriveResult`). */
function unreadableLeft(count: number): string {
  const one = count === 1;
  return (
    `${count} ${one ? 'was' : 'were'} left failed: ${one ? 'its job holds' : 'their jobs hold'} ` +
    "no commit (data in Redis that is not valid JSON, or not a commit job's), listed below as " +
    `(unreadable); discard ${one ? 'it' : 'each'} with \`commitlog discard --job ID\`.`
  );
}
