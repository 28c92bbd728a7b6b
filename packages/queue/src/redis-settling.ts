/**
 * The error replies that end by themselves: a Redis Cluster's while it forms, reshards or fails
 * over (ioredis retries them only briefly, its 16 redirections, before handing them on, so a
 * cluster that takes a few seconds to agree shows them to the caller), a Redis still loading its
 * data (`LOADING`), and one running a long script or function (`BUSY`, until it ends or is
 * killed).
 */
const SETTLING_REPLIES = [
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MOVED',
  'ASK',
  'LOADING',
  'MASTERDOWN',
  'BUSY',
];

/** Whether Redis's error reply `message` is one that waiting ends (see SETTLING_REPLIES). */
export function isSettlingReply(message: string): boolean {
  return SETTLING_REPLIES.includes(message.split(' ', 1)[0] ?? '');
}
