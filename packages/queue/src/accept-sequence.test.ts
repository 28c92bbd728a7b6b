import { describe, expect, it } from 'vitest';
import { byAcceptOrder, type AcceptOrder } from './accept-sequence.ts';

const at = (timestamp: number, finishedOn: number, acceptSeq?: number): AcceptOrder => ({
  timestamp,
  finishedOn,
  acceptSeq,
});

describe('byAcceptOrder', () => {
  it('orders numbered jobs by their number, whatever their accept times', () => {
    expect([at(3, 0, 2), at(9, 0, 1), at(1, 0, 3)].sort(byAcceptOrder)).toEqual([
      at(9, 0, 1),
      at(3, 0, 2),
      at(1, 0, 3),
    ]);
  });

  it('puts jobs without a number first, by accept time and then failure time', () => {
    expect([at(1, 0, 1), at(5, 2), at(5, 1), at(9, 0, 0), at(2, 7)].sort(byAcceptOrder)).toEqual([
      at(2, 7),
      at(5, 1),
      at(5, 2),
      at(9, 0, 0),
      at(1, 0, 1),
    ]);
  });
});
