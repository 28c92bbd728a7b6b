import { describe, expect, it } from 'vitest';
import { seededRandom } from '@commitlog/testkit';
import { uniformSampler, zipfSampler } from './zipf.ts';

function histogram(draw: () => number, n: number, draws: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) counts[draw()]!++;
  return counts;
}

describe('key samplers', () => {
  it('draws Zipf indices with frequencies proportional to 1/(k+1)^s', () => {
    const counts = histogram(zipfSampler(100, 1, seededRandom(7)), 100, 200_000);
    const harmonic = Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b);
    expect(counts[0]! / 200_000).toBeCloseTo(1 / harmonic, 2);
    expect(counts[1]! / counts[0]!).toBeCloseTo(0.5, 1);
    expect(counts[9]! / counts[0]!).toBeCloseTo(0.1, 1);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('draws uniform indices within range', () => {
    const counts = histogram(uniformSampler(10, seededRandom(3)), 10, 100_000);
    for (const c of counts) expect(c / 100_000).toBeCloseTo(0.1, 1);
  });

  it('refuses an empty key space and replays from a seed', () => {
    expect(() => zipfSampler(0, 1)).toThrow(RangeError);
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
