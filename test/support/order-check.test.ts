import type { CollectedRecord } from '@commitlog/kafka';
import { describe, expect, it } from 'vitest';
import { staleCopies } from './order-check.ts';

function records(...pairs: [string, string][]): CollectedRecord[] {
  return pairs.map(([key, id], offset) => ({
    topic: 't',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(key),
    value: null,
    headers: { 'commitlog-id': Buffer.from(id) },
    timestamp: 0,
  }));
}

const answered = new Map([['k', ['a', 'b', 'c']]]);

describe('stale copies', () => {
  it('accepts the order, repeats in a row, and a replay that goes on in order', () => {
    expect(staleCopies(answered, records(['k', 'a'], ['k', 'b'], ['k', 'c']))).toEqual([]);
    expect(staleCopies(answered, records(['k', 'a'], ['k', 'a'], ['k', 'b'], ['k', 'c']))).toEqual(
      [],
    );
    expect(
      staleCopies(answered, records(['k', 'a'], ['k', 'b'], ['k', 'a'], ['k', 'b'], ['k', 'c'])),
    ).toEqual([]);
  });

  it('reports an old copy after a newer commit that no replay follows, and a stale last record', () => {
    const four = new Map([['k', ['a', 'b', 'c', 'd']]]);
    // A replay that stops short of the newest commit seen before it: #2 was on Kafka already.
    expect(
      staleCopies(
        four,
        records(['k', 'a'], ['k', 'b'], ['k', 'c'], ['k', 'a'], ['k', 'b'], ['k', 'd']),
      ),
    ).toEqual(['key k: commit #0 landed after #2, not replayed up to it']);
    expect(staleCopies(answered, records(['k', 'a'], ['k', 'b'], ['k', 'a'], ['k', 'c']))).toEqual([
      'key k: commit #0 landed after #1, not replayed up to it',
    ]);
    expect(staleCopies(answered, records(['k', 'a'], ['k', 'c'], ['k', 'b']))).toEqual([
      'key k: commit #1 first landed after #2',
      'key k: commit #1 landed after #2, not replayed up to it',
      'key k: last record is commit #1 of 3',
    ]);
  });

  it('reports a commit that first lands after a newer one, even when the newer one comes again', () => {
    // A consumer saw c before b: no replay, though b, c reads like one.
    expect(staleCopies(answered, records(['k', 'a'], ['k', 'c'], ['k', 'b'], ['k', 'c']))).toEqual([
      'key k: commit #1 first landed after #2',
    ]);
  });
});
