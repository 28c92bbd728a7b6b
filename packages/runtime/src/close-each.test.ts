import { describe, expect, it } from 'vitest';
import { closeEach } from './close-each.ts';

describe('closeEach', () => {
  it('closes every part in turn, also after one failed, and counts the failures', async () => {
    const closed: string[] = [];
    const errors: unknown[] = [];
    const boom = new Error('boom');
    const failed = await closeEach(
      [
        () => Promise.resolve(closed.push('a')),
        () => Promise.reject(boom),
        () => Promise.resolve(closed.push('c')),
      ],
      (err) => errors.push(err),
    );
    expect({ failed, closed, errors }).toEqual({ failed: 1, closed: ['a', 'c'], errors: [boom] });
  });
});
