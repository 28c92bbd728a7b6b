import { describe, expect, it } from 'vitest';
import { KafkaProduceError } from './kafka-errors.ts';
import { distinguishMissingTopic, type TopicStanding } from './missing-topic.ts';

const refused = new KafkaProduceError('TOPIC_AUTHORIZATION_FAILED', 'produce failed: refused', {
  retriable: false,
  fromBroker: true,
});

function standings(map: Record<string, TopicStanding | Error>) {
  const asked: string[] = [];
  const standing = (topic: string): Promise<TopicStanding> => {
    asked.push(topic);
    const answer = map[topic] ?? 'unknown';
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { asked, standing };
}

describe('a topic refused as forbidden that may only be missing', () => {
  it('turns the refusal retriable when a topic of the request does not exist', async () => {
    const { standing } = standings({ a: 'exists', b: 'missing' });
    const error = await distinguishMissingTopic(refused, ['a', 'b'], standing);
    expect(error).toBeInstanceOf(KafkaProduceError);
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect((error as Error).message).toMatch(/topic b does not exist/);
    expect((error as Error).cause).toBe(refused);
  });

  it('keeps the refusal when every topic exists or is forbidden to ask about', async () => {
    const { standing } = standings({ a: 'exists', b: 'forbidden' });
    expect(await distinguishMissingTopic(refused, ['a', 'b'], standing)).toBe(refused);
  });

  it('makes the refusal retriable when a topic could not be asked about: it may only be missing', async () => {
    for (const unasked of [new Error('connection reset'), 'unknown' as const]) {
      const { standing } = standings({ a: 'exists', b: 'forbidden', c: unasked });
      const error = await distinguishMissingTopic(refused, ['a', 'b', 'c'], standing);
      expect(error).toMatchObject({ code: 'KAFKA_PRODUCE_FAILED', retriable: true });
      expect((error as Error).message).toMatch(/whether topic c exists could not be asked/);
      expect((error as Error).cause).toBe(refused);
    }
  });

  it('asks nothing about any other error', async () => {
    const { asked, standing } = standings({ a: 'missing' });
    const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'x', { retriable: false });
    expect(await distinguishMissingTopic(tooLarge, ['a'], standing)).toBe(tooLarge);
    const plain = new Error('not a Kafka answer');
    expect(await distinguishMissingTopic(plain, ['a'], standing)).toBe(plain);
    expect(asked).toEqual([]);
  });
});
