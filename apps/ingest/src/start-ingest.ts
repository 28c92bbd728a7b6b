import {
  claimLaneCount,
  createCommitEnqueuer,
  isLastingRedisError,
  readLaneCount,
  readRedisClockOffsetMs,
} from '@commitlog/queue';
import {
  clockOffsetGauge,
  closeEach,
  createMetricsRegistry,
  drainServer,
  ERROR_LOG_INTERVAL_MS,
  listenOn,
  notReadyOnceStopping,
  sharedReadiness,
  startOpsServer,
  throttledWarn,
  type IngestConfig,
  type Logger,
} from '@commitlog/runtime';
import type { AddressInfo } from 'node:net';
import { createBodyBudget } from './body-budget.ts';
import { createCommitHandlers } from './commit-handlers.ts';
import { createCommitServer, type CommitServerDeps } from './commit-server.ts';
import { createIngestApp } from './ingest-app.ts';
import {
  createIngestMetrics,
  droppedConnectionsCounter,
  ingestStateGauges,
} from './ingest-metrics.ts';
import { createIngestReadiness } from './ingest-readiness.ts';
import { connectIngestRedis } from './ingest-redis.ts';

/** A running ingest. */
export interface RunningIngest {
  /** The port it listens on (the configured one, or the one picked for port 0). */
  port: number;
  /** What INGEST_PORT speaks: `https` with INGEST_TLS_CERT_FILE, else `http`. */
  scheme: 'http' | 'https';
  /** The port of its ops server (/healthz, /readyz, /metrics), likewise. */
  opsPort: number;
  /**
   * Graceful stop: stops accepting connections, lets requests under way finish (answers sent
   * meanwhile close their connection), then closes the queues and the Redis connection.
   */
  close(): Promise<void>;
}

export interface IngestDeps {
  /** The clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** The timer and the file reads of the certificate's rotation (with INGEST_TLS_*). */
  certificate?: CommitServerDeps;
}

/** How long one `/readyz` reading answers every caller, ms. */
const READINESS_SHARED_MS = 1000;

/**
 * Starts the HTTP ingest. Refuses to start (UnsafeRedisError, `UNSAFE_REDIS`) on a Redis that may
 * evict accepted commits; starts anyway when Redis is down, and then answers 503 until it is back.
 * Everything it opens is closed by `close()`.
 */
export async function startIngest(
  config: IngestConfig,
  logger: Logger,
  deps: IngestDeps = {},
): Promise<RunningIngest> {
  const now = deps.now ?? Date.now;
  const { connection, safety, memory, disconnect, reading } = await connectIngestRedis(
    config,
    logger,
  );

  const enqueuer = createCommitEnqueuer({
    connection,
    prefix: config.queuePrefix,
    maxLaneBacklog: config.maxLaneBacklog,
    gather: config.enqueueBatching,
    lanes: config.lanes,
    admit: () => safety.admit(),
    checkRoom: () => memory.checkRoom(),
    ...(config.waitReplicas > 0
      ? { replicas: { count: config.waitReplicas, timeoutMs: config.waitReplicasTimeoutMs } }
      : {}),
  });
  const registry = createMetricsRegistry('ingest');
  let closing = false;
  // Read at most once a second, whoever asks: /readyz is open to anyone who reaches the ports.
  const readiness = sharedReadiness(
    createIngestReadiness({
      ping: () => connection.ping(),
      checkSafety: () => safety.check(),
      lanes: config.lanes,
      readLaneCount: () => readLaneCount(connection, config.queuePrefix),
      waitReplicas: config.waitReplicas,
    }),
    READINESS_SHARED_MS,
  );
  const metrics = createIngestMetrics(registry);
  ingestStateGauges(registry, { readiness, redisMemory: () => memory.last() });
  // The ingest stamps every commit with its clock: its offset from Redis's is watched.
  clockOffsetGauge(registry, () => readRedisClockOffsetMs(connection));
  const app = createIngestApp({
    commits: createCommitHandlers({
      enqueuer,
      bodyBudget: createBodyBudget(config.maxBytesInFlight),
      config,
      now,
    }),
    readiness,
    registry,
    metrics,
    logger,
    isClosing: () => closing,
  });

  const countDrop = droppedConnectionsCounter(registry);
  const warnEarly = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const warnDrop = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const { server, scheme, watchCertificate } = createCommitServer(
    app,
    config,
    {
      registry,
      logger,
      // Each names the client (the connection's peer: a hook, or the proxy in front of it), to
      // find the host that sends what is refused; of many in a minute, the first.
      onDrop: ({ remoteAddress }) => {
        countDrop();
        warnDrop(
          'connections',
          { maxConnections: config.maxConnections, client: remoteAddress },
          'a client connection was closed as it was accepted: INGEST_MAX_CONNECTIONS are open',
        );
      },
      onEarlyRefusal: (refusal) => {
        metrics.observeEarlyRefusal(refusal);
        warnEarly(
          refusal.code,
          { status: refusal.status, code: refusal.code, client: refusal.client },
          'a request was refused before it was read (not valid HTTP, too slow, headers too large, or an Expect not met)',
        );
      },
    },
    deps.certificate,
  );
  // Probes and scrapes on a server of their own: past INGEST_MAX_CONNECTIONS the commit server
  // closes new connections as it accepts them, and a kubelet's probes among them would take a
  // busy but healthy ingest out of its Service, then restart it with requests in flight. Started
  // first, so that a port taken fails the start-up before any commit is taken.
  // What a failed start-up opened is closed, each part even when one fails; its own error is the
  // one to report.
  const warnClosing = (err: unknown): void => logger.warn({ err }, 'error while closing');
  const ops = await startOpsServer({
    host: config.host,
    port: config.opsPort,
    settings: 'INGEST_HOST, INGEST_OPS_PORT',
    registry,
    readiness: notReadyOnceStopping(readiness, () => closing),
    logger,
  }).catch(async (error: unknown) => {
    await closeEach([() => enqueuer.close(), disconnect], warnClosing);
    throw error;
  });
  try {
    await listenOn(server, config.host, config.port, 'INGEST_HOST, INGEST_PORT');
  } catch (error) {
    await closeEach([() => ops.close(), () => enqueuer.close(), disconnect], warnClosing);
    throw error;
  }
  // An accept that fails (EMFILE: out of file descriptors) is an 'error' on the server, which
  // would end the process and every request in flight with it: logged, the server goes on.
  server.on('error', (err) =>
    logger.error({ err }, 'the ingest server could not accept a connection'),
  );
  // Recorded only once both ports are ours: a start-up that fails for another reason (a port
  // taken, an INGEST_HOST not of this machine) must not leave a changed count behind, which the
  // running roles would then refuse to store under. Until it is recorded, a store claims it
  // first (the enqueuer's check), so no commit goes in under another count meanwhile.
  if (reading !== undefined) {
    try {
      await claimLaneCount(connection, config.queuePrefix, config.lanes, logger);
    } catch (error) {
      if (isLastingRedisError(error)) {
        await closeEach(
          [
            () => drainServer(server, 1000, logger),
            () => ops.close(),
            () => enqueuer.close(),
            disconnect,
          ],
          warnClosing,
        );
        throw error;
      }
      // A cluster still forming answers INFO but refuses writes for a while: the enqueuer
      // claims the count before its first store, as when Redis was down at start-up.
      logger.warn(
        { err: error },
        'cannot record LANES in Redis at start-up (a cluster still forming?); starting anyway: the first store records it, and stores are answered 503 until Redis takes it',
      );
    }
  }
  const port = (server.address() as AddressInfo).port;
  // A renewed certificate is taken from here on (nothing to do without TLS).
  const stopWatching = watchCertificate();

  let closed: Promise<void> | undefined;
  return {
    port,
    scheme,
    opsPort: ops.port,
    close() {
      closed ??= (async () => {
        closing = true;
        stopWatching();
        // The ops server answers meanwhile: /readyz says stopping, /healthz still alive.
        await drainServer(server, config.shutdownTimeoutMs / 2, logger);
        await ops.close();
        await enqueuer.close();
        await disconnect();
      })();
      return closed;
    },
  };
}
