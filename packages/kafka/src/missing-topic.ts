import { KafkaProduceError } from './kafka-errors.ts';

/** What a broker says of a topic asked about without creating it. */
export type TopicStanding = 'exists' | 'missing' | 'forbidden' | 'unknown';

/**
 * A broker that creates topics on first use answers TOPIC_AUTHORIZATION_FAILED for a topic that
 * does not exist yet when the login may not create it: the same answer as for a topic the login
 * may not write. A retry fixes the first once someone creates the topic, as on a broker that
 * creates no topics (UNKNOWN_TOPIC_OR_PARTITION: the lane waits); no retry fixes the second
 * (forbidden-topic, failed for good). So such a refusal is looked into: each topic of the request
 * is asked about without creating it, and one that does not exist makes the error the retriable
 * one. Asking needs the login's Describe on the topic; without it the broker refuses that too,
 * and the refusal stands. A topic that could not be asked about at all (the connection failed,
 * the broker did not answer) leaves it unknown whether the refusal is for good: the error is
 * then a retriable one, and the next attempt asks again.
 */
export async function distinguishMissingTopic(
  error: unknown,
  topics: Iterable<string>,
  standing: (topic: string) => Promise<TopicStanding>,
): Promise<unknown> {
  if (!(error instanceof KafkaProduceError) || error.code !== 'TOPIC_AUTHORIZATION_FAILED') {
    return error;
  }
  let unasked: string | undefined;
  for (const topic of topics) {
    const answer = await standing(topic).catch((): TopicStanding => 'unknown');
    if (answer === 'unknown') unasked ??= topic;
    if (answer !== 'missing') continue;
    return new KafkaProduceError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `produce failed: topic ${topic} does not exist, and this login may not create it: create the topic (its commits wait for it)`,
      { retriable: true, cause: error, fromBroker: true },
    );
  }
  if (unasked === undefined) return error;
  return new KafkaProduceError(
    'KAFKA_PRODUCE_FAILED',
    `produce failed: refused as TOPIC_AUTHORIZATION_FAILED, and whether topic ${unasked} exists could not be asked: tried again`,
    { retriable: true, cause: error, fromBroker: true },
  );
}
