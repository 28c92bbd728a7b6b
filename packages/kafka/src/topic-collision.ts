import { kafkaCollisionName } from '@commitlog/core';
import { KafkaProduceError } from './kafka-errors.ts';
import { distinguishMissingTopic, type TopicStanding } from './missing-topic.ts';

/**
 * A topic missing from Kafka (UNKNOWN_TOPIC_OR_PARTITION) is waited for: the lane holds its
 * commits until someone creates it, or a broker that creates topics on first use does. Not when
 * its name collides with a topic that exists (`riak.default.orders_eu` beside
 * `riak.default.orders.eu`, two buckets' default topics): Kafka will never create it, and the
 * lane would wait until COMMIT_TTL, holding every other key of the lane behind it. So such an
 * answer is looked into: the topics that exist are listed, and a collision fails the commit for
 * good (INVALID_TOPIC_EXCEPTION, Kafka's own answer when asked to create such a topic: reason
 * `forbidden-topic`), naming both topics. A listing that fails leaves the error as it was.
 */
export async function distinguishCollidingTopic(
  error: unknown,
  topics: Iterable<string>,
  listTopics: () => Promise<readonly string[]>,
): Promise<unknown> {
  if (!(error instanceof KafkaProduceError) || error.code !== 'UNKNOWN_TOPIC_OR_PARTITION') {
    return error;
  }
  let existing: readonly string[];
  try {
    existing = await listTopics();
  } catch {
    return error;
  }
  const present = new Set(existing);
  const byCollisionName = new Map(existing.map((t) => [kafkaCollisionName(t), t]));
  for (const topic of topics) {
    if (present.has(topic)) continue;
    const other = byCollisionName.get(kafkaCollisionName(topic));
    if (other === undefined) continue;
    return new KafkaProduceError(
      'INVALID_TOPIC_EXCEPTION',
      `produce failed: topic ${topic} cannot be created: Kafka takes it as the existing topic ` +
        `${other} ("." and "_" are one to it); give its bucket another topic in ROUTES_FILE, then re-drive`,
      { retriable: false, cause: error, fromBroker: true },
    );
  }
  return error;
}

/**
 * What a refused produce request means for its topics: missing rather than forbidden
 * (`distinguishMissingTopic`), and never to be created rather than missing (above).
 */
export async function explainTopicRefusal(
  error: unknown,
  topics: ReadonlySet<string>,
  ask: {
    standing: (topic: string) => Promise<TopicStanding>;
    listTopics: () => Promise<readonly string[]>;
  },
): Promise<unknown> {
  const missing = await distinguishMissingTopic(error, topics, ask.standing);
  return distinguishCollidingTopic(missing, topics, ask.listTopics);
}
