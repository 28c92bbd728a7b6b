import { describe, expect, it } from 'vitest';
import { laneName, laneOf } from './lane.ts';

const at = (bucketType: string, bucket: string, key: string) => ({ bucketType, bucket, key });

describe('laneOf', () => {
  // Computed by a separate implementation of the derivation documented in lane.ts (Python's
  // hashlib). If these change, commits of one key can be delivered out of order across a deploy.
  it('matches the documented derivation (regression vectors)', () => {
    const vectors: [ReturnType<typeof at>, [number, number, number]][] = [
      [at('default', 'transactions', 'txn-123'), [13, 3741, 421]],
      [at('default', 'b', 'k'), [2, 1874, 722]],
      [at('payments', 'ledger', 'acct-42'), [5, 1333, 189]],
    ];
    for (const [commit, [of16, of4096, of1000]] of vectors) {
      expect(laneOf(commit, 16)).toBe(of16);
      expect(laneOf(commit, 4096)).toBe(of4096);
      expect(laneOf(commit, 1000)).toBe(of1000);
    }
    const binary = { bucketType: 'default', bucket: { base64: '//4=' }, key: { base64: 'AA==' } };
    expect([laneOf(binary, 16), laneOf(binary, 4096), laneOf(binary, 1000)]).toEqual([
      9, 4025, 569,
    ]);
  });

  it('spreads keys evenly: 10,000 keys over 16 lanes, each within ±25% of the mean', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 10_000; i++)
      counts[laneOf(at('default', 'transactions', `txn-${i}`), 16)]! += 1;
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual(625 * 0.75);
      expect(count).toBeLessThanOrEqual(625 * 1.25);
    }
  });

  it('depends on the bytes, not their form', () => {
    const asString = at('default', 'transactions', 'txn-123');
    const asBase64 = {
      bucketType: { base64: 'ZGVmYXVsdA==' },
      bucket: { base64: 'dHJhbnNhY3Rpb25z' },
      key: { base64: 'dHhuLTEyMw==' },
    };
    expect(laneOf(asBase64, 4096)).toBe(laneOf(asString, 4096));
  });

  it('keeps fields from running together', () => {
    // With 4,096 lanes, a naive concatenation would put these in one lane every time.
    const pairs = [
      [at('default', 'ab', 'c'), at('default', 'a', 'bc')],
      [at('ab', 'c', 'k'), at('a', 'bc', 'k')],
    ] as const;
    for (const [a, b] of pairs) expect(laneOf(a, 4096)).not.toBe(laneOf(b, 4096));
  });

  it('puts everything in lane 0 when there is one lane', () => {
    expect(laneOf(at('default', 'b', 'k'), 1)).toBe(0);
  });

  it('refuses a number of lanes that is not an integer from 1 to 4,096', () => {
    for (const lanes of [0, -1, 1.5, 4097, NaN, Infinity]) {
      expect(() => laneOf(at('default', 'b', 'k'), lanes)).toThrow(RangeError);
    }
    expect(() => laneOf(at('default', 'b', 'k'), 0)).toThrow(
      'lanes must be an integer from 1 to 4096, got 0',
    );
  });
});

describe('laneName', () => {
  it('pads to four digits', () => {
    expect(laneName(0)).toBe('lane-0000');
    expect(laneName(7)).toBe('lane-0007');
    expect(laneName(4095)).toBe('lane-4095');
  });

  it('refuses what is not a lane', () => {
    for (const lane of [-1, 4096, 1.5, NaN]) expect(() => laneName(lane)).toThrow(RangeError);
  });
});
