import { failureReason } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { KafkaProduceError } from './kafka-errors.ts';
import { collisionCheck, distinguishCollidingTopic } from './topic-collision.ts';

const missing = new KafkaProduceError('UNKNOWN_TOPIC_OR_PARTITION', 'produce failed: unknown', {
  retriable: true,
  fromBroker: true,
});

/** A listing of `topics`, counting how often it is asked for. */
function listing(topics: readonly string[] | Error) {
  const asked = { count: 0 };
  const listTopics = () => {
    asked.count++;
    return topics instanceof Error ? Promise.reject(topics) : Promise.resolve(topics);
  };
  return { asked, listTopics };
}

describe('a topic missing because its name collides with one that exists', () => {
  it('fails for good, as Kafka refuses to create it, naming both topics', async () => {
    const { listTopics } = listing(['riak.default.orders.eu', 'other']);
    const error = await distinguishCollidingTopic(
      missing,
      ['fine', 'riak.default.orders_eu'],
      listTopics,
    );
    expect(error).toBeInstanceOf(KafkaProduceError);
    expect(error).toMatchObject({
      code: 'INVALID_TOPIC_EXCEPTION',
      retriable: false,
      fromBroker: true,
      message:
        'produce failed: topic riak.default.orders_eu cannot be created: Kafka takes it as the ' +
        'existing topic riak.default.orders.eu ("." and "_" are one to it); give its bucket ' +
        'another topic in ROUTES_FILE, then re-drive',
    });
    expect((error as Error).cause).toBe(missing);
    expect(failureReason(error)).toBe('forbidden-topic');
  });

  it('stays a missing topic to wait for when nothing collides, or the topic itself exists', async () => {
    const { listTopics } = listing(['riak.default.orders_eu', 'a.b']);
    // Created meanwhile (a broker creating it on first use): the next try takes it.
    expect(await distinguishCollidingTopic(missing, ['riak.default.orders_eu'], listTopics)).toBe(
      missing,
    );
    expect(await distinguishCollidingTopic(missing, ['a.c', 'b_a'], listTopics)).toBe(missing);
  });

  it('leaves the error as it was when the topics cannot be listed', async () => {
    const { listTopics } = listing(new Error('connection refused'));
    expect(await distinguishCollidingTopic(missing, ['a_b'], listTopics)).toBe(missing);
  });

  it('lists nothing for any other error', async () => {
    const { asked, listTopics } = listing(['a.b']);
    const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'x', { retriable: false });
    expect(await distinguishCollidingTopic(tooLarge, ['a_b'], listTopics)).toBe(tooLarge);
    const plain = new Error('not a Kafka answer');
    expect(await distinguishCollidingTopic(plain, ['a_b'], listTopics)).toBe(plain);
    expect(asked.count).toBe(0);
  });
});

describe('the collision check of a producer', () => {
  it('looks into a missing topic once per interval, however often its lane retries', async () => {
    const { asked, listTopics } = listing(['a.b']);
    let clock = 0;
    const check = collisionCheck(listTopics, { now: () => clock, recheckMs: 30_000 });
    expect(await check(missing, ['x_y'])).toBe(missing);
    clock = 29_999;
    expect(await check(missing, ['x_y'])).toBe(missing);
    expect(asked.count).toBe(1);
    // Another missing topic meanwhile is its own question.
    expect(await check(missing, ['a_b'])).toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    clock = 30_000;
    expect(await check(missing, ['x_y'])).toBe(missing);
    expect(asked.count).toBe(3);
  });

  it('answers a collision found again at once, for the commit of a split request sent alone', async () => {
    const { asked, listTopics } = listing(['riak.default.orders.eu']);
    let clock = 0;
    const check = collisionCheck(listTopics, { now: () => clock, recheckMs: 30_000 });
    const together = ['riak.default.other', 'riak.default.orders_eu'];
    expect(await check(missing, together)).toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    clock = 10;
    const alone = await check(missing, ['riak.default.orders_eu']);
    expect(alone).toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION', retriable: false });
    expect((alone as Error).message).toContain('riak.default.orders.eu');
    // The other topic of the request is missing, not colliding: its error stands.
    expect(await check(missing, ['riak.default.other'])).toBe(missing);
    expect(asked.count).toBe(1);
  });

  it('leaves the error as it was when the listing takes too long', async () => {
    const check = collisionCheck(() => new Promise<never>(() => undefined), { timeoutMs: 20 });
    expect(await check(missing, ['a_b'])).toBe(missing);
  });
});
