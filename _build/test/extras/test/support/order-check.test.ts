import type { CollectedRecord } from '@commitlog/kafka';
import { describe, expect, it } from 'vitest';
import { orderProblems, orderProblemsAllowingReplays, staleCopies } from './order-check.ts';

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

describe('order problems', () => {
  it('accepts the answered order with repeats in a row', () => {
    expect(
      orderProblems(answered, records(['k', 'a'], ['k', 'a'], ['k', 'b'], ['k', 'c'])),
    ).toEqual([]);
  });

  it('says how the order broke: the runs that landed, an unknown id as ?', () => {
    expect(
      orderProblems(answered, records(['k', 'a'], ['k', 'b'], ['k', 'a'], ['k', 'b'], ['k', 'c'])),
    ).toEqual([
      'key k: 5 distinct-in-a-row records for 3 commits; first mismatch at 2; landed #0-1 #0-2',
    ]);
    expect(orderProblems(answered, records(['k', 'a'], ['k', 'x'], ['k', 'c']))).toEqual([
      'key k: 3 distinct-in-a-row records for 3 commits; first mismatch at 1; landed #0 #? #2',
    ]);
    expect(orderProblems(answered, records())).toEqual([
      'key k: 0 distinct-in-a-row records for 3 commits; first mismatch at 0; landed nothing',
    ]);
  });
});

describe('order problems, replays allowed', () => {
  it('accepts the order, repeats in a row, and an in-order replay of a request sent again', () => {
    expect(
      orderProblemsAllowingReplays(answered, records(['k', 'a'], ['k', 'b'], ['k', 'c'])),
    ).toEqual([]);
    expect(
      orderProblemsAllowingReplays(
        answered,
        records(['k', 'a'], ['k', 'b'], ['k', 'a'], ['k', 'b'], ['k', 'c']),
      ),
    ).toEqual([]);
  });

  it('reports a commit skipped and first landing inside a later replay', () => {
    const four = new Map([['k', ['a', 'b', 'c', 'd']]]);
    // A consumer saw c before b had ever landed; the replay that follows is in order.
    expect(
      orderProblemsAllowingReplays(
        four,
        records(['k', 'a'], ['k', 'c'], ['k', 'a'], ['k', 'b'], ['k', 'c'], ['k', 'd']),
      ),
    ).toEqual(['key k: commit #1 first landed after #2', 'key k: landed #0 #2 #0-3']);
    expect(
      orderProblemsAllowingReplays(
        four,
        records(['k', 'a'], ['k', 'b'], ['k', 'd'], ['k', 'a'], ['k', 'b'], ['k', 'c'], ['k', 'd']),
      ),
    ).toEqual(['key k: commit #2 first landed after #3', 'key k: landed #0-1 #3 #0-3']);
  });

  it('reports a commit that never landed, an old copy after a newer one, and how the key landed', () => {
    expect(orderProblemsAllowingReplays(answered, records(['k', 'a'], ['k', 'c']))).toEqual([
      'key k: 1 commits never landed (#1)',
      'key k: landed #0 #2',
    ]);
    expect(
      orderProblemsAllowingReplays(answered, records(['k', 'a'], ['k', 'c'], ['k', 'b'])),
    ).toEqual([
      'key k: commit #1 first landed after #2',
      'key k: commit #1 landed after #2, not replayed up to it',
      'key k: last record is commit #1 of 3',
      'key k: landed #0 #2 #1',
    ]);
  });
});
