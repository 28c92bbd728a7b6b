import { describe, expect, it } from 'vitest';
import { KafkaProduceError } from './kafka-errors.ts';
import {
  createWriteHistory,
  holdUnlessForbiddenTopic,
  WROTE_RECENTLY_MS,
} from './write-refusal.ts';

const refused = () =>
  new KafkaProduceError('TOPIC_AUTHORIZATION_FAILED', 'refused', {
    retriable: false,
    fromBroker: true,
  });

describe('a topic refused to a producer', () => {
  it('stands for that topic when the producer wrote a moment ago, to other topics only', () => {
    const error = refused();
    const writes = { last: 1_000, toTheseTopics: undefined };
    expect(holdUnlessForbiddenTopic(error, writes, 1_000 + WROTE_RECENTLY_MS - 1)).toBe(error);
  });

  it('is held and tried again when the producer has written nothing lately, or ever', () => {
    for (const last of [undefined, 1_000]) {
      const writes = { last, toTheseTopics: undefined };
      const held = holdUnlessForbiddenTopic(refused(), writes, 1_000 + WROTE_RECENTLY_MS);
      expect(held).toBeInstanceOf(KafkaProduceError);
      expect(held).toMatchObject({ code: 'KAFKA_WRITE_REFUSED', retriable: true });
      expect((held as Error).cause).toBeInstanceOf(KafkaProduceError);
    }
  });

  it("is held and tried again when that topic took this producer's writes before (rights taken away)", () => {
    const writes = { last: 5_000, toTheseTopics: 4_000 };
    const held = holdUnlessForbiddenTopic(refused(), writes, 5_001);
    expect(held).toMatchObject({ code: 'KAFKA_WRITE_REFUSED', retriable: true, fromBroker: true });
    expect((held as Error).message).toContain('this worker wrote to the topic before');
  });

  it('leaves every other error as it is', () => {
    const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'too large', { retriable: false });
    const writes = { last: undefined, toTheseTopics: undefined };
    expect(holdUnlessForbiddenTopic(tooLarge, writes, 0)).toBe(tooLarge);
  });
});

describe("a producer's write history", () => {
  it('remembers the last write of each topic, forgetting the least recently written past its size', () => {
    const writes = createWriteHistory(2);
    expect(writes.lastWrittenAt()).toBeUndefined();
    writes.wrote(['a', 'b'], 1);
    writes.wrote(['a'], 2);
    writes.wrote(['c'], 3);
    expect(writes.lastWrittenAt()).toBe(3);
    expect(writes.lastWroteTo(['a'])).toBe(2);
    expect(writes.lastWroteTo(['b'])).toBeUndefined();
    expect(writes.lastWroteTo(['x', 'a', 'c'])).toBe(3);
    expect(writes.lastWroteTo([])).toBeUndefined();
  });
});
