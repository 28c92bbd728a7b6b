import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createGuardedServer, type ConnectionLimits } from './guarded-server.ts';
import { drainServer, listenOn } from './http-server.ts';
import type { Logger } from './logger.ts';
import { ERROR_LOG_INTERVAL_MS, throttledWarn } from './throttled-log.ts';
import {
  errorBody,
  healthzBody,
  JSON_CONTENT_TYPE,
  metricsResult,
  readyzResult,
  type ReadinessProbe,
} from './ops-handlers.ts';

/**
 * The ops server's connection limits. Probes and a Prometheus scrape need a few connections, each
 * sending a short GET at once; without limits, a flood of idle connections on this port (often
 * open to the whole cluster network) could take every file descriptor of the role, and with them
 * its Redis reconnects. The idle time-out is well past the longest a readiness check takes (its
 * checks are cut at 2 s), so no probe is closed while its answer is being worked out.
 */
export const OPS_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 64,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  checkEveryMs: 1000,
  keepAliveTimeoutMs: 5000,
  socketIdleTimeoutMs: 30_000,
};

export interface OpsServerOptions {
  /** Address to listen on, e.g. `127.0.0.1`, or `0.0.0.0` in a pod. */
  host: string;
  /** Port to listen on; 0 picks a free one (see `OpsServer.port`). */
  port: number;
  /** The variables that set `host` and `port`, named when it cannot listen there. */
  settings: string;
  /** Served on `/metrics`. */
  registry: Registry;
  /** Asked on every `/readyz`. */
  readiness: ReadinessProbe;
  logger: Logger;
  /**
   * How long `close` waits for requests under way before it closes their connections, ms.
   * Default 2000: probes and scrapes answer in milliseconds.
   */
  closeGraceMs?: number;
  /** Overrides some of `OPS_CONNECTION_LIMITS` (ms, and a count of connections). */
  limits?: Partial<ConnectionLimits>;
}

export interface OpsServer {
  /** The port the server is bound to. */
  port: number;
  /**
   * Stops listening, closes kept-alive connections as they go idle and, after `closeGraceMs`,
   * those still open; resolves once the server is closed.
   */
  close(): Promise<void>;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function json(status: number, body: unknown): Answer {
  return { status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body) };
}

/**
 * The operations endpoints on a server of their own (the worker's only server; the dashboard's
 * and the ingest's beside their main one, so that neither's connections crowd probes out):
 * `GET /healthz`, `GET /readyz` and `GET /metrics` (HEAD too), built on the same handlers the
 * ingest also mounts in express. Readiness changes are logged once each, not on every probe.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { logger } = options;
  let lastReady: boolean | undefined;

  const routes: Record<string, () => Promise<Answer>> = {
    '/healthz': () => Promise.resolve(json(200, healthzBody())),
    '/readyz': async () => {
      const { status, body } = await readyzResult(options.readiness);
      if (body.ready !== lastReady) {
        lastReady = body.ready;
        if (body.ready) logger.info({ checks: body.checks }, 'ready');
        else logger.warn({ checks: body.checks }, 'not ready');
      }
      return json(status, body);
    },
    '/metrics': () => metricsResult(options.registry),
  };

  async function answer(request: IncomingMessage): Promise<Answer> {
    const path = new URL(request.url ?? '/', 'http://ops.invalid').pathname;
    const route = routes[path];
    if (route === undefined) {
      return json(404, errorBody('NOT_FOUND', `no such endpoint: ${path}`));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return json(405, errorBody('METHOD_NOT_ALLOWED', `${path} answers GET and HEAD only`));
    }
    return route();
  }

  function respond(request: IncomingMessage, response: ServerResponse): void {
    answer(request)
      .catch((error: unknown) => {
        logger.error({ err: error, url: request.url }, 'ops endpoint failed');
        return json(500, errorBody('INTERNAL', 'the ops endpoint failed; see the logs'));
      })
      .then(({ status, contentType, body }) => {
        response.writeHead(status, {
          'content-type': contentType,
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
          ...(status === 405 ? { allow: 'GET, HEAD' } : {}),
        });
        response.end(body);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'ops server could not answer');
        response.destroy();
      });
  }

  const limits = { ...OPS_CONNECTION_LIMITS, ...options.limits };
  const warnDrop = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const server = createGuardedServer(respond, limits, {
    onDrop: ({ remoteAddress }) =>
      warnDrop(
        'connections',
        { maxConnections: limits.maxConnections, client: remoteAddress },
        'an ops connection was closed as it was accepted: the most the ops server keeps are open',
      ),
  });
  await listenOn(server, options.host, options.port, options.settings);
  server.on('error', (error) => logger.error({ err: error }, 'ops server error'));

  const { port } = server.address() as AddressInfo;
  logger.info({ host: options.host, port }, 'ops server listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      // Not `server.close()` alone: a kept-alive scrape connection stayed open until its idle
      // timeout, and one stuck in a request's headers for good (close also ends Node's header
      // timeout), holding the role's stop until SHUTDOWN_TIMEOUT.
      closing ??= drainServer(server, options.closeGraceMs ?? 2000, options.logger);
      return closing;
    },
  };
}
