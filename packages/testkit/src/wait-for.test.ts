import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    const answers = [undefined, null, false, 'ready'];
    expect(await waitFor(() => answers.shift(), { intervalMs: 1 })).toBe('ready');
  });

  it('counts a throwing probe as not yet, and names its last error on time-out', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 20, intervalMs: 5, description: 'the server' },
      ),
    ).rejects.toThrow('waitFor: the server not met within 20 ms; last error: connection refused');
  });

  it('counts 0 as not yet (redis.exists before the key is there), and returns the first other number', async () => {
    const answers = [0, Number.NaN, 0, 1];
    expect(await waitFor(() => answers.shift(), { intervalMs: 1 })).toBe(1);
    await expect(waitFor(() => 0, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      'not met within 20 ms',
    );
  });
});
