// The test kit's system of real role processes: a role that dies at start-up is reported as such,
// with its own output, not as a health check that timed out.
import { describe, expect, it } from 'vitest';
import { startSystem } from './commitlog-system.ts';

describe('startSystem', () => {
  it('reports a role that exits during start-up, with its output', async () => {
    // A configuration every role refuses: the ingest exits 1 before it listens.
    const started = startSystem({ ingestEnv: { DEBUG: 'ioredis:*' } });
    await expect(started).rejects.toThrow(
      /ingest exited during start-up:[\s\S]*DEBUG: must be unset or blank/,
    );
  }, 60_000);
});
