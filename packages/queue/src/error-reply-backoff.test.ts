import { describe, expect, it } from 'vitest';
import { errorReplyBackoff } from './error-reply-backoff.ts';

describe('the pause after an error reply', () => {
  it('grows from 1 s to 5 s while calls fail with an error reply, and starts again after a success', async () => {
    const pauses: number[] = [];
    const backoff = errorReplyBackoff(
      (error) => (error as Error).message.startsWith('MISCONF'),
      (ms) => Promise.resolve(void pauses.push(ms)),
    );
    const refused = () => Promise.reject(new Error('MISCONF Errors writing to the AOF file'));
    for (let n = 0; n < 5; n++) await expect(backoff.run(refused)).rejects.toThrow('MISCONF');
    expect(pauses).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(await backoff.run(() => Promise.resolve('job'))).toBe('job');
    await expect(backoff.run(refused)).rejects.toThrow('MISCONF');
    expect(pauses.at(-1)).toBe(1000);
  });

  it('does not pause for other errors (a lost connection: the client waits for it anyway)', async () => {
    const pauses: number[] = [];
    const backoff = errorReplyBackoff(
      () => false,
      (ms) => Promise.resolve(void pauses.push(ms)),
    );
    await expect(
      backoff.run(() => Promise.reject(new Error('Connection is closed.'))),
    ).rejects.toThrow();
    expect(pauses).toEqual([]);
  });
});
