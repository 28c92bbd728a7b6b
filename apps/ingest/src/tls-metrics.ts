import { createCounter, createGauge, type Registry } from '@commitlog/runtime';
import type { CertificateInfo } from './certificate-info.ts';

/**
 * Why a TLS handshake failed, as far as the server can tell: `plain_http`, a client that spoke
 * HTTP to the TLS port (a hook still configured with http://); `client_alert`, a client that
 * refused the handshake with a TLS alert (most often: it does not trust the certificate);
 * `client_gone`, a client that closed the connection during the handshake (Node's own client
 * does so when it does not trust the certificate); `timeout`, no handshake within the headers'
 * time-out; `other`.
 */
export const TLS_FAILURE_REASONS = [
  'plain_http',
  'client_alert',
  'client_gone',
  'timeout',
  'other',
] as const;
export type TlsFailureReason = (typeof TLS_FAILURE_REASONS)[number];

/** The reason of a `tlsClientError`, by its code (never its text). */
export function tlsFailureReason(error: { code?: unknown }): TlsFailureReason {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'ERR_SSL_HTTP_REQUEST') return 'plain_http';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'client_gone';
  if (/^ERR_SSL_.*ALERT/.test(code)) return 'client_alert';
  return 'other';
}

export interface TlsMetrics {
  /** The certificate served from now on. */
  serving(info: CertificateInfo): void;
  /** One check that found new certificate files and kept the old pair. */
  reloadRefused(): void;
  /** One handshake that failed. */
  handshakeFailed(reason: TlsFailureReason): void;
}

/**
 * The ingest's TLS metrics, declared whether it serves TLS or not (one set of metrics, one
 * README table): without INGEST_TLS_CERT_FILE the expiry has no series, so no alert on it fires,
 * and the counters stay at 0. Counted from 0 at the start, as the other watched counters.
 */
export function createTlsMetrics(registry: Registry): TlsMetrics {
  const expiry = createGauge(registry, {
    name: 'commitlog_ingest_tls_cert_expiry_timestamp_seconds',
    help: 'When the certificate the ingest serves on INGEST_PORT ends (its notAfter), epoch seconds, by its serial; no series without INGEST_TLS_CERT_FILE.',
    labelNames: ['serial'],
  });
  const refused = createCounter(registry, {
    name: 'commitlog_ingest_tls_reload_failures_total',
    help: 'Checks (one a minute) that found INGEST_TLS_CERT_FILE/INGEST_TLS_KEY_FILE replaced by a pair the ingest refused; it kept serving the one it had.',
  });
  const handshakes = createCounter(registry, {
    name: 'commitlog_ingest_tls_handshake_failures_total',
    help: 'TLS handshakes on INGEST_PORT that failed, by reason (plain_http: a client spoke HTTP to the TLS port).',
    labelNames: ['reason'],
  });
  refused.inc(0);
  for (const reason of TLS_FAILURE_REASONS) handshakes.inc({ reason }, 0);
  return {
    serving(info) {
      expiry.reset();
      expiry.set({ serial: info.serial }, Math.floor(info.notAfter.getTime() / 1000));
    },
    reloadRefused: () => refused.inc(),
    handshakeFailed: (reason) => handshakes.inc({ reason }),
  };
}
