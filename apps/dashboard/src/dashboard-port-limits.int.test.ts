// DASHBOARD_PORT is held to limits: past DASHBOARD_MAX_CONNECTIONS a connection is closed as it
// is accepted (the ops port answering all the while), and a request that does not all come
// within the request time-out is cut. Node's defaults held both for minutes, or for good.
import { createLogger, hashPassword, loadDashboardConfig } from '@commitlog/runtime';
import { captureLogLines, createTestQueuePrefix, freePort, waitFor } from '@commitlog/testkit';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startDashboard, type DashboardDeps, type RunningDashboard } from './start-dashboard.ts';

const opened: Socket[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy();
  for (const stop of stops.splice(0)) await stop();
});

async function start(
  env: Record<string, string>,
  deps: DashboardDeps = {},
): Promise<{ dashboard: RunningDashboard; lines: Record<string, unknown>[] }> {
  const space = createTestQueuePrefix();
  const capture = captureLogLines();
  const config = loadDashboardConfig({
    REDIS_URL: space.redisUrl,
    QUEUE_PREFIX: space.prefix,
    DASHBOARD_PORT: String(await freePort()),
    DASHBOARD_OPS_PORT: String(await freePort()),
    DASHBOARD_USERS: `ada:admin:${await hashPassword('a-password-of-some-length')}`,
    ...env,
  });
  const logger = createLogger({ service: 'dashboard', level: 'info', destination: capture });
  const dashboard = await startDashboard(config, logger, deps);
  stops.push(async () => {
    await dashboard.close();
    await space.cleanup();
  });
  return { dashboard, lines: capture.lines };
}

/** A connection to `port`, once open. */
async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  opened.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/**
 * What the server sends on `socket` after `request` until it has sent `until` or closed the
 * connection ('' when it closed it without a word).
 */
function exchange(socket: Socket, request: string, until: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (until.test(text)) resolve(text);
    });
    socket.on('close', () => resolve(text));
    socket.write(request);
  });
}

const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
/** An answer with its JSON body whole. */
const WHOLE_JSON = /\r\n\r\n\{[\s\S]*\}$/;

describe('DASHBOARD_PORT', () => {
  it('closes a connection past DASHBOARD_MAX_CONNECTIONS as it accepts it, while the ops port answers', async () => {
    const { dashboard, lines } = await start({ DASHBOARD_MAX_CONNECTIONS: '3' });
    // Each answered (so the server holds it) and kept alive, as a browser's is.
    for (let i = 0; i < 3; i++) {
      const socket = await open(dashboard.port);
      expect(await exchange(socket, HEALTHZ, WHOLE_JSON)).toMatch(/^HTTP\/1\.1 200/);
    }
    expect(await exchange(await open(dashboard.port), HEALTHZ, WHOLE_JSON)).toBe('');
    // Probes go to a server of their own, which the flood does not reach.
    const ready = await fetch(`http://127.0.0.1:${dashboard.opsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(
      await waitFor(() =>
        lines.find((l) => typeof l.msg === 'string' && l.msg.includes('DASHBOARD_MAX_CONNECTIONS')),
      ),
    ).toMatchObject({ level: 'warn', maxConnections: 3, client: '127.0.0.1' });
  });

  it('cuts a request whose body does not all come within the request time-out', async () => {
    // Short time-outs, so that the test waits for the cut rather than 30 s.
    const { dashboard } = await start(
      {},
      { timeouts: { headersTimeoutMs: 200, requestTimeoutMs: 300, checkEveryMs: 50 } },
    );
    const socket = await open(dashboard.port);
    // A sign-in whose body trickles: 12 of its 100 bytes, then nothing.
    const answer = await exchange(
      socket,
      'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 100\r\n\r\nusername=ada',
      /\r\n\r\n/,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    if (!socket.destroyed) await once(socket, 'close');
  });
});
