import { describe, expect, it } from 'vitest';
import { intendedOffsetMs, nextRate, type LadderOptions } from './rate-ladder.ts';

const options: LadderOptions = {
  startRate: 100,
  factor: 2,
  maxSteps: 10,
  refinements: 1,
  maxRate: 10_000,
};

describe('rate ladder', () => {
  it('starts, then multiplies while the steps are sustainable', () => {
    expect(nextRate([], options)).toBe(100);
    expect(nextRate([{ rate: 100, sustainable: true }], options)).toBe(200);
    expect(nextRate([{ rate: 8000, sustainable: true }], options)).toBe(10_000);
    expect(nextRate([{ rate: 10_000, sustainable: true }], options)).toBeUndefined();
  });

  it('tries the midpoint after the first unsustainable step, then stops', () => {
    const done = [
      { rate: 100, sustainable: true },
      { rate: 200, sustainable: true },
      { rate: 400, sustainable: false },
    ];
    expect(nextRate(done, options)).toBe(300);
    expect(nextRate([...done, { rate: 300, sustainable: true }], options)).toBeUndefined();
    expect(nextRate(done, { ...options, refinements: 0 })).toBeUndefined();
    const twice = { ...options, refinements: 2 };
    expect(nextRate([...done, { rate: 300, sustainable: false }], twice)).toBe(250);
    expect(nextRate([...done, { rate: 300, sustainable: true }], twice)).toBe(350);
  });

  it('stops when the first step already fails, or the bound on steps is reached', () => {
    expect(nextRate([{ rate: 100, sustainable: false }], options)).toBe(50);
    expect(nextRate([{ rate: 100, sustainable: true }], { ...options, maxSteps: 1 })).toBe(
      undefined,
    );
    const close = [
      { rate: 100, sustainable: true },
      { rate: 104, sustainable: false },
    ];
    expect(nextRate(close, options)).toBeUndefined();
  });

  it('gives a rate that failed at the last step its other tries, and stops after them', () => {
    const twoTries = { ...options, tries: 2, maxSteps: 3 };
    const failedLast = [
      { rate: 100, sustainable: true },
      { rate: 200, sustainable: false },
      { rate: 200, sustainable: true },
      { rate: 400, sustainable: false },
    ];
    expect(nextRate(failedLast.slice(0, 3), twoTries)).toBeUndefined();
    expect(nextRate(failedLast, { ...twoTries, maxSteps: 4 })).toBe(400);
    expect(
      nextRate([...failedLast, { rate: 400, sustainable: false }], { ...twoTries, maxSteps: 4 }),
    ).toBeUndefined();
    expect(nextRate([], { ...options, maxSteps: 0 })).toBeUndefined();
  });

  it('tries a failed rate again before it counts, and a rate passes when any try kept up', () => {
    const twoTries = { ...options, tries: 2 };
    const failedOnce = [
      { rate: 100, sustainable: true },
      { rate: 200, sustainable: false },
    ];
    expect(nextRate(failedOnce, twoTries)).toBe(200);
    expect(nextRate([...failedOnce, { rate: 200, sustainable: true }], twoTries)).toBe(400);
    const failedTwice = [...failedOnce, { rate: 200, sustainable: false }];
    expect(nextRate(failedTwice, twoTries)).toBe(150);
    expect(nextRate([...failedTwice, { rate: 150, sustainable: false }], twoTries)).toBe(150);
    expect(
      nextRate(
        [...failedTwice, { rate: 150, sustainable: false }, { rate: 150, sustainable: false }],
        twoTries,
      ),
    ).toBeUndefined();
  });

  it('spaces intended send times evenly', () => {
    expect(intendedOffsetMs(0, 500)).toBe(0);
    expect(intendedOffsetMs(500, 500)).toBe(1000);
    expect(intendedOffsetMs(3, 1000)).toBe(3);
  });
});
