import {
  ERROR_LOG_INTERVAL_MS,
  throttledWarn,
  type IngestConfig,
  type Logger,
  type Registry,
} from '@commitlog/runtime';
import type { RequestListener, Server } from 'node:http';
import {
  createCertificateRotation,
  watchCertificate,
  type CertificateRotationOptions,
  type Every,
} from './certificate-rotation.ts';
import { createIngestServer, type IngestServerOptions } from './ingest-server.ts';
import { createTlsMetrics, type TlsFailureReason } from './tls-metrics.ts';

/** The server of INGEST_PORT, and how its certificate is kept fresh. */
export interface CommitServer {
  server: Server;
  /** `https` with INGEST_TLS_CERT_FILE, else `http`. */
  scheme: 'http' | 'https';
  /**
   * Starts re-reading the certificate files once a minute (with TLS; nothing without); returns
   * what stops it. Started once the server listens, stopped as it stops.
   */
  watchCertificate: () => () => void;
}

export interface CommitServerDeps {
  /** The certificate checks' timer; tests pass their own. Default a `setInterval`. */
  every?: Every;
  /** Reads the certificate files; tests pass their own. */
  readFile?: CertificateRotationOptions['readFile'];
}

/** What a failed handshake's reason tells an operator to look at. */
const HANDSHAKE_FAILURES: Record<TlsFailureReason, string> = {
  plain_http:
    'a client spoke plain HTTP to the TLS port (INGEST_TLS_CERT_FILE is set): give it an https:// address',
  client_alert:
    'a client refused the TLS handshake: does it trust the CA that signed INGEST_TLS_CERT_FILE, for the name it connects to?',
  client_gone:
    'a client closed its connection during the TLS handshake (a client that does not trust the certificate does so)',
  timeout: 'a client did not finish its TLS handshake in time',
  other: 'a TLS handshake failed',
};

/**
 * The ingest's server for commits: plain HTTP, or HTTPS only when `config.tls` is set, with its
 * TLS metrics (declared either way) and failed handshakes logged, at most one line per reason a
 * minute (a hook left on http:// fails every commit).
 */
export function createCommitServer(
  app: RequestListener,
  config: Pick<IngestConfig, 'tls' | 'maxConnections'>,
  context: { registry: Registry; logger: Logger } & Omit<
    IngestServerOptions,
    'maxConnections' | 'tls' | 'onHandshakeFailure'
  >,
  deps: CommitServerDeps = {},
): CommitServer {
  const { registry, logger, ...options } = context;
  const metrics = createTlsMetrics(registry);
  const warnHandshake = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const serverOptions: IngestServerOptions = {
    ...options,
    maxConnections: config.maxConnections,
    onHandshakeFailure: ({ reason, code, remoteAddress }) => {
      metrics.handshakeFailed(reason);
      warnHandshake(reason, { reason, code, remoteAddress }, HANDSHAKE_FAILURES[reason]);
    },
  };
  const { tls } = config;
  if (tls === undefined) {
    return {
      server: createIngestServer(app, serverOptions),
      scheme: 'http',
      watchCertificate: () => () => undefined,
    };
  }
  const server = createIngestServer(app, { ...serverOptions, tls });
  const rotation = createCertificateRotation({
    files: tls,
    served: tls,
    use: (credentials) => server.useCredentials(credentials),
    onServing: (info) => metrics.serving(info),
    onRefused: () => metrics.reloadRefused(),
    logger,
    ...(deps.readFile ? { readFile: deps.readFile } : {}),
  });
  return {
    server,
    scheme: 'https',
    watchCertificate: () => watchCertificate(rotation, logger, deps.every),
  };
}
