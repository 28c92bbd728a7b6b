import { KafkaProduceError } from './kafka-errors.ts';

/**
 * How long after its last write a producer takes a TOPIC_AUTHORIZATION_FAILED for a topic it never
 * wrote to as that topic's alone (forbidden-topic, failed for good).
 */
export const WROTE_RECENTLY_MS = 5 * 60_000;

/** Topics whose last write a producer remembers (a route per bucket type and bucket). */
const REMEMBERED_TOPICS = 10_000;

/** What a producer wrote: when its last request succeeded, and when each topic last took one. */
export interface WriteHistory {
  wrote(topics: Iterable<string>, at: number): void;
  /** When the producer's last request succeeded, epoch ms. */
  lastWrittenAt(): number | undefined;
  /** The latest write any of `topics` took, epoch ms, if one is remembered. */
  lastWroteTo(topics: Iterable<string>): number | undefined;
}

/** A `WriteHistory` that remembers the REMEMBERED_TOPICS topics written last. */
export function createWriteHistory(remembered = REMEMBERED_TOPICS): WriteHistory {
  let last: number | undefined;
  // In order of last write: the first entry is the one forgotten first.
  const byTopic = new Map<string, number>();
  return {
    wrote(topics, at) {
      last = at;
      for (const topic of topics) {
        byTopic.delete(topic);
        byTopic.set(topic, at);
        if (byTopic.size > remembered) byTopic.delete(byTopic.keys().next().value!);
      }
    },
    lastWrittenAt: () => last,
    lastWroteTo(topics) {
      let latest: number | undefined;
      for (const topic of topics) {
        const at = byTopic.get(topic);
        if (at !== undefined && (latest === undefined || at > latest)) latest = at;
      }
      return latest;
    },
  };
}

/**
 * A TOPIC_AUTHORIZATION_FAILED is a topic's own, and fails its commits for good, only when the
 * producer may write and that topic never took its writes: a route to a topic the login was never
 * granted. Otherwise it is retriable (`KAFKA_WRITE_REFUSED`): the lanes hold,
 * `commitlog_retries_total` and its alert say so, and they go on by themselves once the login may
 * write, as for a refused login (CLUSTER_AUTHORIZATION_FAILED), rather than every commit going to
 * the failed deliveries, to be re-driven by hand after its key's newer versions:
 * - a topic that took this producer's writes before: its access was taken away (an ACL replaced,
 *   a role reconciled), for every topic of the login as often as for one;
 * - a producer that has written nothing for WROTE_RECENTLY_MS (or since it started): a login
 *   whose write rights are missing altogether (credentials rotated to an account whose ACLs are
 *   not applied yet) gets it for every topic.
 */
export function holdUnlessForbiddenTopic(
  error: unknown,
  writes: { last: number | undefined; toTheseTopics: number | undefined },
  now: number,
): unknown {
  if (!(error instanceof KafkaProduceError) || error.code !== 'TOPIC_AUTHORIZATION_FAILED') {
    return error;
  }
  let why: string;
  if (writes.toTheseTopics !== undefined) {
    why = `this worker wrote to the topic before (${new Date(writes.toTheseTopics).toISOString()}): taken for write rights taken away, not a topic never granted`;
  } else if (writes.last !== undefined && now - writes.last < WROTE_RECENTLY_MS) {
    return error;
  } else {
    const since = writes.last === undefined ? 'since it started' : 'for 5 minutes';
    why = `this worker has written to no topic ${since}: taken for a login that may not write (its ACLs), not one topic's refusal`;
  }
  return new KafkaProduceError(
    'KAFKA_WRITE_REFUSED',
    `produce refused as TOPIC_AUTHORIZATION_FAILED, and ${why}; tried again`,
    { retriable: true, cause: error, fromBroker: true },
  );
}
