import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { drainServer, listenOn } from './http-server.ts';
import { createLogger } from './logger.ts';

describe('listenOn', () => {
  it('names the settings and the reason when it cannot listen', async () => {
    const server = createServer();
    await expect(
      listenOn(server, 'no-such-host.invalid', 0, 'INGEST_HOST, INGEST_PORT'),
    ).rejects.toMatchObject({
      code: 'LISTEN_FAILED',
      message: expect.stringMatching(
        /^cannot listen on no-such-host\.invalid:0 \(INGEST_HOST, INGEST_PORT\): (no such host|the host name could not be resolved now)$/,
      ) as unknown,
    });
  });
});

describe('drainServer', () => {
  it('closes a kept-alive connection once its answer, under way when the stop began, has ended', async () => {
    let answer: (() => void) | undefined;
    const server = createServer((_req, res) => {
      // Answered later, with the connection kept alive (as /metrics decides before its await).
      answer = () => res.end('ok');
    });
    await listenOn(server, '127.0.0.1', 0, 'INGEST_HOST, INGEST_PORT');
    const agent = new Agent({ keepAlive: true });
    const { port } = server.address() as AddressInfo;
    const answered = new Promise<number | undefined>((resolve, reject) => {
      request({ port, host: '127.0.0.1', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
        .on('error', reject)
        .end();
    });
    await vi.waitFor(() => expect(answer).toBeTypeOf('function'));

    const logger = createLogger({ service: 'ingest', level: 'silent' });
    const warn = vi.spyOn(logger, 'warn');
    // A grace far longer than the test may run: the drain must end without it.
    const drained = drainServer(server, 60_000, logger);
    answer?.();
    expect(await answered).toBe(200);
    await drained;
    expect(warn).not.toHaveBeenCalled();
    agent.destroy();
  });
});
