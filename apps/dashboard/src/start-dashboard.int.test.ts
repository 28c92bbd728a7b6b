// A dashboard that cannot take its ports fails to start and leaves nothing open behind it: its
// Redis connection (and the lane queues on it) is closed, so a process manager's restarts do
// not pile connections up on the Redis that holds the commits.
import { createRedisConnection } from '@commitlog/queue';
import { createLogger, hashPassword, loadDashboardConfig } from '@commitlog/runtime';
import { freePort, startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from './start-dashboard.ts';

describe('a dashboard whose port is taken', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    await redis?.cleanup();
  });

  /** The dashboard's connections to the private Redis (by their name), as CLIENT LIST shows. */
  async function dashboardClients(): Promise<number> {
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    try {
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      return list.split('\n').filter((line) => line.includes('name=commitlog-dashboard')).length;
    } finally {
      admin.disconnect();
    }
  }

  it.each(['DASHBOARD_PORT', 'DASHBOARD_OPS_PORT'])(
    'fails to start when %s is taken, and closes its Redis connection',
    async (taken) => {
      const holder = createServer();
      holder.listen(0, '127.0.0.1');
      await once(holder, 'listening');
      const busy = (holder.address() as { port: number }).port;
      try {
        const ports: Record<string, string> = {
          DASHBOARD_PORT: String(await freePort()),
          DASHBOARD_OPS_PORT: String(await freePort()),
          [taken]: String(busy),
        };
        const config = loadDashboardConfig({
          REDIS_URL: redis.url,
          ...ports,
          DASHBOARD_USERS: `admin:admin:${await hashPassword('a-password-of-some-length')}`,
        });
        await expect(
          startDashboard(config, createLogger({ service: 'dashboard', level: 'silent' })),
        ).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${busy}\\b`));
        await waitFor(async () => (await dashboardClients()) === 0, {
          timeoutMs: 10_000,
          description: "the dashboard's Redis connection closed",
        });
      } finally {
        holder.close();
      }
    },
  );
});
