import {
  appendAudit,
  firstConnectionOrRefusal,
  createRedisConnection,
  failedByReason,
  laneJobState,
  openBoardQueues,
  readDeliveryOverview,
  readLaneCount,
  redrive,
  readRedisClockOffsetMs,
} from '@commitlog/queue';
import {
  clientConnectionLimits,
  clockOffsetGauge,
  closeEach,
  createGuardedServer,
  createMetricsRegistry,
  drainServer,
  ERROR_LOG_INTERVAL_MS,
  listenOn,
  notReadyOnceStopping,
  redisErrorLogger,
  startOpsServer,
  throttledWarn,
  usersBelowHashCost,
  verifyPassword,
  withTimeout,
  type ConnectionLimits,
  type DashboardConfig,
  type Logger,
} from '@commitlog/runtime';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createBoards } from './bull-board.ts';
import { createDashboardApp } from './dashboard-app.ts';
import { cacheByLaneCount } from './failed-reasons-cache.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { joinRedriveProgress } from './redrive-progress.ts';
import { createRedriveRunner } from './redrive-runner.ts';
import { redisSessionRevocations } from './session-revocations.ts';
import { createSessionCodec } from './session.ts';
import { readShownOverview } from './shown-overview.ts';

/**
 * How long one reading of the failed deliveries serves every page (see failed-reasons-cache.ts):
 * a minute, or five times as long as it took. It reads every failed delivery: after a long Kafka
 * outage, 150,000 of them took 3 to 4 s of Redis, and with 10 s an open page had one made about
 * every 14 s, a quarter of the time.
 */
const failedReasonsKeptMs = (tookMs: number): number => Math.max(60_000, 5 * tookMs);

/**
 * How long one reading of the whole overview serves every page and `/api/overview` asking for
 * it. It reads every lane (4,096 lanes: a second, 80,000 commands), and each open page reloads
 * every 15 s: with it, any number of them cost one reading every 5 s at most, not one each. An
 * action taken here (a re-drive, a pause in Bull Board) drops it, so that the page after it
 * shows what it did.
 */
const OVERVIEW_SHARED_MS = 5_000;

/** A running dashboard. */
export interface RunningDashboard {
  port: number;
  opsPort: number;
  close(): Promise<void>;
}

export interface DashboardDeps {
  /**
   * Time-outs of `DASHBOARD_PORT` (ms) in place of `CLIENT_TIMEOUTS`, the ingest's: tests pass
   * short ones. Default none.
   */
  timeouts?: Partial<Omit<ConnectionLimits, 'maxConnections'>>;
}

/** How long the start-up waits for Redis's first answer before it starts without it, ms. */
const FIRST_CONNECT_MS = 2000;

/** How long `/readyz` waits for Redis's PING, ms: less than a probe's usual time-out. */
const PING_TIMEOUT_MS = 2000;

/**
 * Starts the dashboard and its ops server (/healthz, /readyz, /metrics on `DASHBOARD_OPS_PORT`).
 * Starts while Redis is down (pages answer 503 until it is back). It only reads the queues, but
 * for re-drives (and what an admin does in Bull Board), and never needs Kafka.
 */
export async function startDashboard(
  config: DashboardConfig,
  logger: Logger,
  deps: DashboardDeps = {},
): Promise<RunningDashboard> {
  const connection = createRedisConnection({
    url: config.redisUrl,
    role: 'producer',
    connectionName: 'commitlog-dashboard',
    tlsCa: config.redisTlsCa,
    tlsClient: config.redisTlsClient,
    // At warn, as the other roles do: the dashboard's probe is /healthz, so its log is where a
    // wrong password or a Redis outage shows.
    onError: redisErrorLogger(logger, 'Redis connection error'),
  });
  // A refusal no wait fixes (a database Redis lacks, a wrong password) stops the start-up;
  // Redis being away does not.
  try {
    await firstConnectionOrRefusal(connection, FIRST_CONNECT_MS);
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  const queues = openBoardQueues(connection, config.queuePrefix, config.lanes);
  const cheaplyHashed = usersBelowHashCost(config.users);
  if (cheaplyHashed.length > 0) {
    logger.warn(
      { users: cheaplyHashed },
      'dashboard users whose password hashes cost less than `commitlog dashboard hash-password` makes now: hash their passwords again',
    );
  }
  if (config.sessionSecret === undefined) {
    logger.warn(
      'DASHBOARD_SESSION_SECRET is not set: sessions end when this process stops and are not shared with other replicas',
    );
  }
  const failedReasons = cacheByLaneCount(
    (laneCount) =>
      failedByReason(
        connection,
        config.queuePrefix,
        Array.from({ length: laneCount }, (_, lane) => lane),
      ),
    failedReasonsKeptMs,
  );
  const overviews = cacheByLaneCount(
    (laneCount) =>
      readShownOverview(failedReasons, (readFailedByReason) =>
        readDeliveryOverview(connection, config.queuePrefix, laneCount, { readFailedByReason }),
      ),
    OVERVIEW_SHARED_MS,
  );
  const runner = createRedriveRunner();
  const app = createDashboardApp({
    users: config.users,
    sessions: createSessionCodec({
      secret: config.sessionSecret ?? randomBytes(32).toString('hex'),
      ttlMs: config.sessionTtlMs,
      secure: config.secureCookie,
    }),
    revocations: redisSessionRevocations(connection, config.queuePrefix),
    throttle: createLoginThrottle(),
    secureCookie: config.secureCookie,
    trustProxy: config.trustProxy,
    verifyPassword,
    laneCount: config.lanes,
    readRecordedLaneCount: () => readLaneCount(connection, config.queuePrefix),
    recordAction: (record) => {
      // Every action an admin takes here is recorded once it is done (or, for a re-drive of
      // many, also before): the next page reads what it did.
      overviews.invalidate();
      return appendAudit(connection, config.queuePrefix, {
        at: new Date().toISOString(),
        via: 'dashboard',
        ...record,
      });
    },
    readOverview: (laneCount) => overviews.read(laneCount),
    redrive: (filter, lanes, onProgress, signal) => {
      const progress = joinRedriveProgress(onProgress);
      return redrive(
        connection,
        config.queuePrefix,
        lanes,
        filter,
        Date.now(),
        progress.onMoved,
        progress.onReading,
        signal,
      ).finally(() => {
        failedReasons.invalidate();
        overviews.invalidate();
      });
    },
    runner,
    jobState: (lane, jobId) => laneJobState(queues, lane, jobId),
    boards: createBoards({ queues, laneCount: config.lanes, showValues: config.showValues }),
    isRedisUp: () => connection.status === 'ready',
    logger,
  });
  // Held to the limits of the ingest's commit port (DASHBOARD_MAX_CONNECTIONS and its
  // time-outs): Node's own cap no connection and wait 60 s for a request's headers and 300 s for
  // the whole of it, so one client could take every file descriptor (the Redis reconnects and the
  // ops port's probes with them) or hold a sign-in open for minutes. Behind a proxy, the client
  // the warning names is the proxy.
  const warnDrop = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const server = createGuardedServer(
    app,
    { ...clientConnectionLimits(config.maxConnections), ...deps.timeouts },
    {
      onDrop: ({ remoteAddress }) =>
        warnDrop(
          'connections',
          { maxConnections: config.maxConnections, client: remoteAddress },
          'a dashboard connection was closed as it was accepted: DASHBOARD_MAX_CONNECTIONS are open',
        ),
    },
  );
  const closeRedis = async () => {
    // The connection is closed even when a queue fails to close, and that failure is the stop's.
    const queuesClosed = queues.close();
    await queuesClosed.catch(() => undefined);
    await connection.quit().catch(() => connection.disconnect());
    await queuesClosed;
  };
  const warnClosing = (err: unknown): void => logger.warn({ err }, 'error while closing');
  let closed: Promise<void> | undefined;
  // The ops server first, as the ingest does: a port of its taken fails the start-up before the
  // main server has taken a request (a re-drive an operator started there would be cut).
  const registry = createMetricsRegistry('dashboard');
  // Its clock stamps re-drives, from which their TTLs count (README, "Clocks").
  clockOffsetGauge(registry, () => readRedisClockOffsetMs(connection));
  const ops = await startOpsServer({
    host: config.host,
    port: config.opsPort,
    settings: 'DASHBOARD_HOST, DASHBOARD_OPS_PORT',
    registry,
    // Not ready once its stop begins (it drains its requests and a running re-drive then), nor
    // while PING takes longer than a probe waits (the connection's command time-out is longer).
    readiness: notReadyOnceStopping(
      async () => {
        const ok = await withTimeout(connection.ping(), PING_TIMEOUT_MS, 'PING').then(
          () => true,
          () => false,
        );
        return {
          ready: ok,
          checks: { redis: ok ? { ok } : { ok, detail: 'Redis is not answering PING' } },
        };
      },
      () => closed !== undefined,
    ),
    logger,
  }).catch(async (error: unknown) => {
    await closeRedis().catch(warnClosing);
    throw error;
  });
  try {
    await listenOn(server, config.host, config.port, 'DASHBOARD_HOST, DASHBOARD_PORT');
  } catch (error) {
    await closeEach([() => ops.close(), closeRedis], warnClosing);
    throw error;
  }
  // listenOn's listener is gone once it listens: without one, an error such as an accept that
  // fails (EMFILE) would crash the process.
  server.on('error', (err) => logger.error({ err }, 'dashboard server error'));
  return {
    port: (server.address() as AddressInfo).port,
    opsPort: ops.port,
    close() {
      closed ??= (async () => {
        // A re-drive that went on past its request has no request to drain: it is waited for
        // as long, then stopped between two jobs, and its closing audit record written, before
        // Redis is closed under it.
        // The ops server answers meanwhile (/readyz: stopping), as the ingest's does.
        await Promise.all([
          drainServer(server, config.shutdownTimeoutMs / 2, logger),
          withTimeout(runner.idle(), config.shutdownTimeoutMs / 2, 'the running re-drive').catch(
            () => logger.warn('stopping with a re-drive running: it stops part-way, audited'),
          ),
        ]);
        // Whatever is running now stops (one that a request still being read started after the
        // wait above, too), and none starts any more.
        runner.stop('the dashboard is stopping');
        // Within the stop's time-out (the process exits at it): a quarter of it for a job's move
        // and the closing record, which a healthy Redis takes milliseconds for; past it, Redis
        // is closed under them all the same.
        const stopWait = config.shutdownTimeoutMs / 4;
        await withTimeout(runner.idle(), stopWait, 'the stopped re-drive').catch(() =>
          logger.warn('the stopped re-drive did not end in time: Redis closed under it'),
        );
        await ops.close();
        await closeRedis();
        // One that Redis's closing stopped: its end is at least logged, if not on record.
        await withTimeout(runner.idle(), 1000, 'the stopped re-drive').catch(() => undefined);
      })();
      return closed;
    },
  };
}
