import { describe, expect, it } from 'vitest';
import { KafkaProduceError } from './kafka-errors.ts';
import { holdUnlessWroteRecently, WROTE_RECENTLY_MS } from './write-refusal.ts';

const refused = () =>
  new KafkaProduceError('TOPIC_AUTHORIZATION_FAILED', 'refused', {
    retriable: false,
    fromBroker: true,
  });

describe('a topic refused to a producer', () => {
  it('stands for that topic when the producer wrote a moment ago', () => {
    const error = refused();
    expect(holdUnlessWroteRecently(error, 1_000, 1_000 + WROTE_RECENTLY_MS - 1)).toBe(error);
  });

  it('is held and tried again when the producer has written nothing lately, or ever', () => {
    for (const lastWrittenAt of [undefined, 1_000]) {
      const held = holdUnlessWroteRecently(refused(), lastWrittenAt, 1_000 + WROTE_RECENTLY_MS);
      expect(held).toBeInstanceOf(KafkaProduceError);
      expect(held).toMatchObject({ code: 'KAFKA_WRITE_REFUSED', retriable: true });
      expect((held as Error).cause).toBeInstanceOf(KafkaProduceError);
    }
  });

  it('leaves every other error as it is', () => {
    const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'too large', { retriable: false });
    expect(holdUnlessWroteRecently(tooLarge, undefined, 0)).toBe(tooLarge);
  });
});
