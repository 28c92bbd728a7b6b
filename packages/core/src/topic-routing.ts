import { z } from 'zod';
import type { Commit } from './commit-schema.ts';
import { CommitlogError } from './errors.ts';
import { LengthPrefixedWriter } from './length-prefixed.ts';
import { binaryToBytes, binaryToText, type RiakBinary } from './riak-binary.ts';
import { ValidationError, validationErrorFrom } from './validation-error.ts';

/** Where a commit's record goes. */
export interface Route {
  /** The Kafka topic. */
  topic: string;
  /** Whether the record value is always the siblings envelope, even for a single sibling. */
  envelope: boolean;
}

/** Longest topic name Kafka accepts. */
export const MAX_TOPIC_LENGTH = 249;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * A topic's name as Kafka compares names when it creates a topic: `.` and `_` are one character
 * to it (they collide in its metric names), so two topics with the same such name cannot both be.
 */
export function kafkaCollisionName(topic: string): string {
  return topic.replaceAll('.', '_');
}

/** Whether Kafka accepts `name` as a topic name. */
export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * The default topic of a bucket: `riak.<bucketType>.<bucket>`. In each part, every character
 * Kafka does not allow (anything but `[a-zA-Z0-9._-]`) becomes `_`, and a binary that is not
 * UTF-8 is written as the lowercase hex of its bytes. A name over 249 characters is cut to 240 and
 * ends with `-` and 8 hex characters of SHA-256(F(bucketType) F(bucket)) over the exact bytes, so
 * that long names that share a beginning stay apart.
 *
 * Distinct buckets can share a default topic (`a b` and `a_b`); every record carries its exact
 * bucket in headers, and a routing rule can separate them.
 */
export function defaultTopic(bucketType: RiakBinary, bucket: RiakBinary): string {
  const name = `riak.${topicPart(bucketType)}.${topicPart(bucket)}`;
  if (name.length <= MAX_TOPIC_LENGTH) return name;
  const hash = new LengthPrefixedWriter().binary(bucketType).binary(bucket).sha256();
  return `${name.slice(0, MAX_TOPIC_LENGTH - 9)}-${hash.toString('hex').slice(0, 8)}`;
}

function topicPart(b: RiakBinary): string {
  const text = binaryToText(b);
  if (text === undefined) return Buffer.from(binaryToBytes(b)).toString('hex');
  // One `_` per code point, so that an emoji is one `_`, not two.
  return text.replace(/[^a-zA-Z0-9._-]/gu, '_');
}

/** One routing rule. A missing `bucketType` or `bucket` matches any. */
export const routeRuleSchema = z.strictObject({
  bucketType: z.string().min(1, { error: 'must not be empty' }).optional(),
  bucket: z.string().min(1, { error: 'must not be empty' }).optional(),
  topic: z.string().refine(isValidTopicName, {
    error: 'not a valid Kafka topic name (1 to 249 of [a-zA-Z0-9._-], not "." or "..")',
  }),
  /** Always envelope the value (default false: a single sibling travels as its bare bytes). */
  envelope: z.boolean().optional(),
});

/** A routes file (`ROUTES_FILE`): `{"routes": [...]}`; the first rule that matches wins. */
export const routesFileSchema = z.strictObject({ routes: z.array(routeRuleSchema) });

export type RouteRule = z.infer<typeof routeRuleSchema>;

/**
 * The rules of a parsed routes file, or a ValidationError (`INVALID_ROUTES`, `routes[i].topic`).
 * Besides each rule's form, it refuses what Kafka would only refuse at delivery, where every
 * commit of the bucket would fail or hold its lane: a topic named like Kafka's internal ones
 * (`__consumer_offsets`), two topics Kafka takes as one (`.` and `_` collide in its metric
 * names, and it refuses to create the second), and a rule no commit can reach, since an earlier
 * rule takes every commit it would.
 */
export function parseRoutes(input: unknown): RouteRule[] {
  const result = routesFileSchema.safeParse(input);
  if (!result.success) {
    throw validationErrorFrom(result.error, input, { code: 'INVALID_ROUTES' });
  }
  const rules = result.data.routes;
  const refuse = (path: string, reason: string): never => {
    throw new ValidationError(reason, { path, code: 'INVALID_ROUTES' });
  };
  const topics = new Map<string, { topic: string; at: number }>();
  for (const [i, rule] of rules.entries()) {
    if (rule.topic.startsWith('__')) {
      refuse(`routes[${i}].topic`, 'a name starting with "__" is for Kafka\'s internal topics');
    }
    const collides = topics.get(kafkaCollisionName(rule.topic));
    if (collides !== undefined && collides.topic !== rule.topic) {
      refuse(
        `routes[${i}].topic`,
        `Kafka takes it as routes[${collides.at}].topic ("." and "_" are one to it) and would not create both`,
      );
    }
    topics.set(kafkaCollisionName(rule.topic), { topic: rule.topic, at: i });
    const earlier = rules
      .slice(0, i)
      .findIndex(
        (e) =>
          (e.bucketType === undefined || e.bucketType === rule.bucketType) &&
          (e.bucket === undefined || e.bucket === rule.bucket),
      );
    if (earlier !== -1) {
      refuse(
        `routes[${i}]`,
        `no commit reaches it: routes[${earlier}] comes first and takes every commit it would (the first rule that matches wins)`,
      );
    }
  }
  return rules;
}

/**
 * The route of a commit: the first rule whose `bucketType` and `bucket` (where given) equal the
 * commit's as UTF-8 text, else the default topic without envelope. A binary that is not UTF-8
 * only matches rules that leave that field out.
 */
export function routeFor(
  commit: Pick<Commit, 'bucketType' | 'bucket'>,
  rules: readonly RouteRule[],
): Route {
  const bucketType = binaryToText(commit.bucketType);
  const bucket = binaryToText(commit.bucket);
  for (const rule of rules) {
    if (rule.bucketType !== undefined && rule.bucketType !== bucketType) continue;
    if (rule.bucket !== undefined && rule.bucket !== bucket) continue;
    return { topic: rule.topic, envelope: rule.envelope ?? false };
  }
  return { topic: defaultTopic(commit.bucketType, commit.bucket), envelope: false };
}

/**
 * Kafka refuses the topic a commit is routed to (invalid name, not authorised, not allowed to be
 * created). No retry can fix it: the delivery fails at once with reason `forbidden-topic`.
 */
export class ForbiddenTopicError extends CommitlogError {
  /** The topic Kafka refused. */
  readonly topic: string;

  constructor(topic: string, options: { cause?: unknown } = {}) {
    super('FORBIDDEN_TOPIC', `Kafka refuses the topic ${JSON.stringify(topic)}`, {
      retriable: false,
      cause: options.cause,
    });
    this.topic = topic;
  }
}
