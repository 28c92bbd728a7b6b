// A dashboard that cannot take its ports fails to start and leaves nothing open behind it: its
// Redis connection (and the lane queues on it) is closed, so a process manager's restarts do
// not pile connections up on the Redis that holds the commits.
import { createRedisConnection } from '@commitlog/queue';
import { createLogger, hashPassword, loadDashboardConfig } from '@commitlog/runtime';
import {
  captureLogLines,
  createTestQueuePrefix,
  freePort,
  NOTHING_LISTENS_PORT,
  scryptHashAtCost,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
} from '@commitlog/testkit';
import { once } from 'node:events';
import { connect, createServer, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it('never listens on DASHBOARD_PORT when DASHBOARD_OPS_PORT is taken', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const busy = (holder.address() as { port: number }).port;
    try {
      const port = await freePort();
      const config = loadDashboardConfig({
        REDIS_URL: redis.url,
        DASHBOARD_PORT: String(port),
        DASHBOARD_OPS_PORT: String(busy),
        DASHBOARD_USERS: `admin:admin:${await hashPassword('a-password-of-some-length')}`,
      });
      // Every port a server of this process is asked to listen on during the start-up: the main
      // server, had it listened first, would have taken requests (a re-drive) before it failed.
      const listen = vi.spyOn(Server.prototype, 'listen');
      await expect(
        startDashboard(config, createLogger({ service: 'dashboard', level: 'silent' })),
      ).rejects.toThrow(/DASHBOARD_OPS_PORT/);
      const asked = listen.mock.calls.map(([first]: unknown[]) =>
        typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first,
      );
      expect(asked).toContain(busy);
      expect(asked).not.toContain(port);
    } finally {
      vi.restoreAllMocks();
      holder.close();
    }
  });
});

describe('a dashboard whose Redis refuses it', () => {
  async function setUp() {
    const redis = await startPrivateRedis();
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    const setPassword = (password: string) =>
      admin.call(
        'ACL',
        'SETUSER',
        'dashboard',
        'on',
        'resetpass',
        `>${password}`,
        '~*',
        '&*',
        '+@all',
      );
    await setPassword('the-right-password');
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'dashboard',
      // The production default: a line at debug would not be seen.
      level: 'info',
      destination: {
        write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    const configWith = async (password: string) => {
      const url = new URL(redis.url);
      url.username = 'dashboard';
      url.password = password;
      return loadDashboardConfig({
        REDIS_URL: url.toString(),
        DASHBOARD_PORT: String(await freePort()),
        DASHBOARD_OPS_PORT: String(await freePort()),
        DASHBOARD_USERS: `admin:admin:${await hashPassword('a-password-of-some-length')}`,
      });
    };
    const cleanup = async () => {
      admin.disconnect();
      await redis.cleanup();
    };
    return { admin, setPassword, lines, logger, configWith, cleanup };
  }

  it('refuses to start when Redis refuses its password, saying why without the password', async () => {
    const { lines, logger, configWith, cleanup } = await setUp();
    try {
      await expect(startDashboard(await configWith('a-wrong-password'), logger)).rejects.toThrow(
        /WRONGPASS/,
      );
      expect(JSON.stringify(lines)).not.toContain('a-wrong-password');
    } finally {
      await cleanup();
    }
  });

  it('says so in its log at warn, once a minute per kind of error, not at debug, when Redis refuses it later', async () => {
    const { admin, setPassword, lines, logger, configWith, cleanup } = await setUp();
    const dashboard = await startDashboard(await configWith('the-right-password'), logger).catch(
      async (error: unknown) => {
        await cleanup();
        throw error;
      },
    );
    try {
      // The password changed in Redis and not in the dashboard's REDIS_URL: its reconnections
      // are refused.
      await setPassword('another-password');
      await admin.call('CLIENT', 'KILL', 'USER', 'dashboard');
      const refused = () => lines.filter((l) => l.msg === 'Redis connection error');
      await waitFor(() => refused().some((l) => /WRONGPASS/.test(JSON.stringify(l))), {
        description: 'the Redis error line',
      });
      // ioredis reconnects and is refused again several times meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const wrongPass = refused().filter((l) => /WRONGPASS/.test(JSON.stringify(l)));
      expect(wrongPass).toHaveLength(1);
      expect(wrongPass[0]).toMatchObject({ level: 'warn' });
      expect(JSON.stringify(lines)).not.toMatch(/the-right-password|another-password/);
    } finally {
      await dashboard.close();
      await cleanup();
    }
  });
});

describe('a dashboard whose Redis is away', () => {
  it('starts all the same, and answers /healthz', async () => {
    const config = loadDashboardConfig({
      // Nothing listens there.
      REDIS_URL: `redis://127.0.0.1:${NOTHING_LISTENS_PORT}`,
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_OPS_PORT: String(await freePort()),
      DASHBOARD_USERS: `admin:admin:${await hashPassword('a-password-of-some-length')}`,
    });
    const dashboard = await startDashboard(
      config,
      createLogger({ service: 'dashboard', level: 'silent' }),
    );
    try {
      const answer = await fetch(`http://127.0.0.1:${config.port}/healthz`);
      expect(answer.status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });
});

describe('a dashboard whose users were hashed at an earlier, lower cost', () => {
  it('starts, signs them in, and names them in a warning at start-up', async () => {
    const space = createTestQueuePrefix();
    const capture = captureLogLines();
    const older = await scryptHashAtCost('a-password-of-some-length', { N: 16_384, r: 8, p: 1 });
    const config = loadDashboardConfig({
      REDIS_URL: space.redisUrl,
      QUEUE_PREFIX: space.prefix,
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_OPS_PORT: String(await freePort()),
      DASHBOARD_USERS: `ada:admin:${older},eve:viewer:${await hashPassword('another-long-password')}`,
    });
    const dashboard = await startDashboard(
      config,
      createLogger({ service: 'dashboard', level: 'info', destination: capture }),
    );
    try {
      expect(capture.lines.filter((l) => l.level === 'warn' && 'users' in l)).toEqual([
        expect.objectContaining({ users: ['ada'] }),
      ]);
      const login = await fetch(`http://127.0.0.1:${dashboard.port}/login`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'ada', password: 'a-password-of-some-length' }),
        redirect: 'manual',
      });
      expect(login.status).toBe(303);
    } finally {
      await dashboard.close();
      await space.cleanup();
    }
  });
});

describe('a stopping dashboard', () => {
  it('answers /readyz 503 stopping while it drains a request under way, then closes', async () => {
    const space = createTestQueuePrefix();
    const config = loadDashboardConfig({
      REDIS_URL: space.redisUrl,
      QUEUE_PREFIX: space.prefix,
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_OPS_PORT: String(await freePort()),
      DASHBOARD_USERS: `ada:admin:${await hashPassword('a-password-of-some-length')}`,
      SHUTDOWN_TIMEOUT: '20s',
    });
    const dashboard = await startDashboard(
      config,
      createLogger({ service: 'dashboard', level: 'silent' }),
    );
    const ops = `http://127.0.0.1:${config.opsPort}`;
    // A sign-in whose body has not all come: a request under way, which the stop waits for.
    const socket = connect(config.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 100\r\n\r\nusername=ada',
    );
    let stopped: Promise<void> | undefined;
    try {
      expect((await fetch(`${ops}/readyz`)).status).toBe(200);
      stopped = dashboard.close();
      const response = await fetch(`${ops}/readyz`);
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 503,
        body: { ready: false, checks: { stopping: { ok: false } } },
      });
    } finally {
      socket.destroy();
      await (stopped ?? dashboard.close());
      await space.cleanup();
    }
    await expect(fetch(`${ops}/readyz`)).rejects.toThrow();
  });
});
