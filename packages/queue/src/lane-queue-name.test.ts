import { describe, expect, it } from 'vitest';
import { laneOfQueueName, laneQueueName } from './lane-queue-name.ts';

describe('laneQueueName', () => {
  it('pads the lane and wraps it in a hash tag', () => {
    expect(laneQueueName(7)).toBe('{lane-0007}');
    expect(laneQueueName(4095)).toBe('{lane-4095}');
  });

  it('round-trips through laneOfQueueName and ignores other names', () => {
    for (const lane of [0, 1, 15, 999, 4095])
      expect(laneOfQueueName(laneQueueName(lane))).toBe(lane);
    expect(laneOfQueueName('lane-0001')).toBeUndefined();
    expect(laneOfQueueName('{other}')).toBeUndefined();
  });

  it('refuses a lane that is not a non-negative integer', () => {
    expect(() => laneQueueName(-1)).toThrow(RangeError);
    expect(() => laneQueueName(1.5)).toThrow(RangeError);
  });
});
