import { waitFor } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import { watchLaneLimits } from './lane-limit-watch.ts';

describe('watchLaneLimits', () => {
  it('logs the lanes whose limit was set again, says nothing while none lost it, and survives Redis away', async () => {
    const answers: (number[] | Error)[] = [[], new Error('ECONNREFUSED'), [3, 7], []];
    const errors: unknown[] = [];
    const warnings: unknown[] = [];
    const watch = watchLaneLimits({
      restore: () => {
        const next = answers.shift() ?? [];
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      logger: {
        error: (fields: unknown) => errors.push(fields),
        warn: (fields: unknown) => warnings.push(fields),
      },
      intervalMs: 5,
    });
    try {
      await waitFor(() => answers.length === 0, { description: 'every answer read' });
      expect(errors).toEqual([{ code: 'LANE_LIMIT_RESTORED', lanes: [3, 7] }]);
      expect(warnings).toEqual([{ err: new Error('ECONNREFUSED') }]);
    } finally {
      watch.stop();
    }
  });
});
