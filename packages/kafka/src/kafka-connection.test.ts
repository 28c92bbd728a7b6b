import { describe, expect, it } from 'vitest';
import { brokerTimeout, DEFAULT_REQUEST_TIMEOUT_MS } from './kafka-connection.ts';

describe('brokerTimeout', () => {
  it("is under the client's request timeout: a quarter less, at most 1 s less", () => {
    expect(brokerTimeout(3000)).toBe(2250); // the worker's default: a tenth of a 30 s lock
    expect(brokerTimeout(DEFAULT_REQUEST_TIMEOUT_MS)).toBe(9000);
    expect(brokerTimeout(60_000)).toBe(59_000);
    expect(brokerTimeout(2)).toBe(2);
    expect(brokerTimeout(1)).toBe(1);
    for (const ms of [4, 100, 999, 3001, 25_000]) expect(brokerTimeout(ms)).toBeLessThan(ms);
  });
});
