import { RELEASE_VERSION_PATTERN } from '@commitlog/runtime';

/**
 * The User-Agent the Riak hook sends: `commitlog-riak-hook/<vsn>`, its .app.src version
 * (apps/riak-hook/src/commitlog_ingest_client.erl). A release version by the rule the roles'
 * `commitlog_build_info` follows, short, so that it is a bounded label value whatever a client
 * puts in the header.
 */
const HOOK_USER_AGENT = new RegExp(`^commitlog-riak-hook/(${RELEASE_VERSION_PATTERN})$`);

/**
 * The label of every client that is not a hook naming its version: no User-Agent, any other
 * one, `commitlog requeue`'s (Node's fetch sends `node`, which any Node client sends too).
 */
export const OTHER_CLIENT = 'other';

/** The hook version a request's User-Agent names, or `OTHER_CLIENT`. */
export function hookVersionOf(userAgent: string | undefined): string {
  return (
    (userAgent === undefined ? undefined : HOOK_USER_AGENT.exec(userAgent)?.[1]) ?? OTHER_CLIENT
  );
}
