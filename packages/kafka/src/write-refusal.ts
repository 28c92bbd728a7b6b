import { KafkaProduceError } from './kafka-errors.ts';

/**
 * How long after its last write a producer takes a TOPIC_AUTHORIZATION_FAILED for its topic's
 * alone (forbidden-topic, failed for good).
 */
export const WROTE_RECENTLY_MS = 5 * 60_000;

/**
 * A TOPIC_AUTHORIZATION_FAILED from a producer that has written nothing for WROTE_RECENTLY_MS
 * (or since it started) says nothing of one topic: it is what a login whose write rights are
 * missing gets for every topic (credentials rotated to an account whose ACLs are not applied
 * yet). Failed for good, every commit would go to the failed deliveries at once, to be re-driven
 * by hand, after their keys' newer versions, once the ACLs are fixed. So it is retriable then:
 * the lanes hold, `commitlog_retries_total` and its alert say so, and they go on by themselves
 * once the login may write, as for a refused login (CLUSTER_AUTHORIZATION_FAILED). A producer
 * that wrote a moment ago may write: the refusal is that topic's, and stands.
 */
export function holdUnlessWroteRecently(
  error: unknown,
  lastWrittenAt: number | undefined,
  now: number,
): unknown {
  if (!(error instanceof KafkaProduceError) || error.code !== 'TOPIC_AUTHORIZATION_FAILED') {
    return error;
  }
  if (lastWrittenAt !== undefined && now - lastWrittenAt < WROTE_RECENTLY_MS) return error;
  const since = lastWrittenAt === undefined ? 'since it started' : 'for 5 minutes';
  return new KafkaProduceError(
    'KAFKA_WRITE_REFUSED',
    `produce refused as TOPIC_AUTHORIZATION_FAILED, and this worker has written to no topic ${since}: taken for a login that may not write (its ACLs), not one topic's refusal; tried again`,
    { retriable: true, cause: error, fromBroker: true },
  );
}
