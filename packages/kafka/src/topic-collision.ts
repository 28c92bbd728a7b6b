import { kafkaCollisionName } from '@commitlog/core';
import { KafkaProduceError } from './kafka-errors.ts';
import { distinguishMissingTopic, type TopicStanding } from './missing-topic.ts';
import { holdUnlessForbiddenTopic, type WriteHistory } from './write-refusal.ts';

/** Kafka's answer for a topic it does not have (yet): the only one a collision hides behind. */
function isMissingTopic(error: unknown): error is KafkaProduceError {
  return error instanceof KafkaProduceError && error.code === 'UNKNOWN_TOPIC_OR_PARTITION';
}

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
  if (!isMissingTopic(error)) return error;
  const found = await collisionAmong(topics, listTopics);
  return found === undefined ? error : collisionError(found.topic, found.other, error);
}

/** `findCollision` against the topics listed; none when the listing fails. */
async function collisionAmong(
  topics: Iterable<string>,
  listTopics: () => Promise<readonly string[]>,
): Promise<{ topic: string; other: string } | undefined> {
  let existing: readonly string[];
  try {
    existing = await listTopics();
  } catch {
    return undefined;
  }
  return findCollision(topics, existing);
}

/** The first of `topics` that Kafka would take as another of `existing`, and that one. */
function findCollision(
  topics: Iterable<string>,
  existing: readonly string[],
): { topic: string; other: string } | undefined {
  const present = new Set(existing);
  const byCollisionName = new Map(existing.map((t) => [kafkaCollisionName(t), t]));
  for (const topic of topics) {
    if (present.has(topic)) continue;
    const other = byCollisionName.get(kafkaCollisionName(topic));
    if (other !== undefined) return { topic, other };
  }
  return undefined;
}

function collisionError(topic: string, other: string, cause: unknown): KafkaProduceError {
  return new KafkaProduceError(
    'INVALID_TOPIC_EXCEPTION',
    `produce failed: topic ${topic} cannot be created: Kafka takes it as the existing topic ` +
      `${other} ("." and "_" are one to it); give its bucket another topic in ROUTES_FILE, then re-drive`,
    { retriable: false, cause, fromBroker: true },
  );
}

/** How long a listing may take before the error stands as it was (it holds the produce slot). */
const LISTING_TIMEOUT_MS = 2000;

/** A missing topic is looked into at most once in this long: its lane's tries wait on meanwhile. */
const RECHECK_MS = 30_000;

/** Topics remembered as looked into; past it, the oldest are forgotten. */
const REMEMBERED_TOPICS = 10_000;

export type CollisionCheck = (error: unknown, topics: Iterable<string>) => Promise<unknown>;

/**
 * `distinguishCollidingTopic` at a bounded cost: a listing asks the cluster for every topic, on a
 * client of its own, while the producer's other requests wait. So each missing topic is looked
 * into once per RECHECK_MS (a lane retrying it for hours, or a request split caller by caller,
 * asks again only then), and a listing that takes longer than LISTING_TIMEOUT_MS leaves the
 * error as it was. A collision found is the answer for that topic until it is looked into again:
 * the split request's commit sent alone, right after, must fail for good too, not wait out its
 * lane's retries.
 */
export function collisionCheck(
  listTopics: () => Promise<readonly string[]>,
  options: { now?: () => number; recheckMs?: number; timeoutMs?: number } = {},
): CollisionCheck {
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckMs ?? RECHECK_MS;
  const timeoutMs = options.timeoutMs ?? LISTING_TIMEOUT_MS;
  /** When each topic was looked into, and the existing topic it collides with, if it does. */
  const checked = new Map<string, { at: number; collidesWith?: string }>();
  const listInTime = async (): Promise<readonly string[]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the listing of topics took too long')), timeoutMs);
    });
    try {
      return await Promise.race([listTopics(), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return async (error, topics) => {
    if (!isMissingTopic(error)) return error;
    const at = now();
    const due: string[] = [];
    for (const topic of topics) {
      const seen = checked.get(topic);
      if (seen === undefined || at - seen.at >= recheckMs) due.push(topic);
      else if (seen.collidesWith !== undefined) {
        return collisionError(topic, seen.collidesWith, error);
      }
    }
    if (due.length === 0) return error;
    for (const topic of due) {
      checked.delete(topic);
      checked.set(topic, { at });
    }
    for (const oldest of checked.keys()) {
      if (checked.size <= REMEMBERED_TOPICS) break;
      checked.delete(oldest);
    }
    const found = await collisionAmong(due, listInTime);
    if (found === undefined) return error;
    checked.set(found.topic, { at, collidesWith: found.other });
    return collisionError(found.topic, found.other, error);
  };
}

/**
 * What a refused produce request means for its topics: missing rather than forbidden
 * (`distinguishMissingTopic`), never to be created rather than missing (`collisionCheck`), and
 * refused to the login as a whole, or taken from it, rather than never granted for the topic
 * (`holdUnlessForbiddenTopic`, from what the producer wrote).
 */
export async function explainTopicRefusal(
  error: unknown,
  topics: ReadonlySet<string>,
  ask: {
    standing: (topic: string) => Promise<TopicStanding>;
    collisions: CollisionCheck;
    writes: WriteHistory;
  },
): Promise<unknown> {
  const missing = await distinguishMissingTopic(error, topics, ask.standing);
  const explained = await ask.collisions(missing, topics);
  const writes = {
    last: ask.writes.lastWrittenAt(),
    toTheseTopics: ask.writes.lastWroteTo(topics),
  };
  return holdUnlessForbiddenTopic(explained, writes, Date.now());
}
