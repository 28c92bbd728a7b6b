import { createMetricsRegistry } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { createTlsMetrics, TLS_FAILURE_REASONS, tlsFailureReason } from './tls-metrics.ts';

const EXPIRY = 'commitlog_ingest_tls_cert_expiry_timestamp_seconds';

describe('the ingest’s TLS metrics', () => {
  it('declares every metric, at 0 and without an expiry series, before any certificate is served', async () => {
    const registry = createMetricsRegistry('ingest');
    createTlsMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain(`# TYPE ${EXPIRY} gauge`);
    // No series: an alert on the expiry cannot fire for an ingest without TLS.
    expect(text).not.toMatch(new RegExp(`^${EXPIRY}\\{`, 'm'));
    expect(text).toMatch(/^commitlog_ingest_tls_reload_failures_total\{[^}]*\} 0$/m);
    for (const reason of TLS_FAILURE_REASONS) {
      expect(text).toMatch(
        new RegExp(
          `^commitlog_ingest_tls_handshake_failures_total\\{reason="${reason}"[^}]*\\} 0$`,
          'm',
        ),
      );
    }
  });

  it('shows the notAfter of the certificate served now, one series, by its serial', async () => {
    const registry = createMetricsRegistry('ingest');
    const metrics = createTlsMetrics(registry);
    metrics.serving({ serial: 'AA01', notAfter: new Date('2030-01-01T00:00:00.900Z') });
    metrics.serving({ serial: 'BB02', notAfter: new Date('2031-01-01T00:00:00Z') });
    metrics.reloadRefused();
    metrics.handshakeFailed('plain_http');
    const text = await registry.metrics();
    const series = [
      ...text.matchAll(new RegExp(`^${EXPIRY}\\{serial="(\\w+)"[^}]*\\} (\\d+)$`, 'gm')),
    ];
    expect(series.map((m) => [m[1], Number(m[2])])).toEqual([['BB02', 1_924_992_000]]);
    expect(text).toMatch(/^commitlog_ingest_tls_reload_failures_total\{[^}]*\} 1$/m);
    expect(text).toMatch(
      /^commitlog_ingest_tls_handshake_failures_total\{reason="plain_http"[^}]*\} 1$/m,
    );
  });

  it('tells the reasons of failed handshakes apart by their codes', () => {
    expect(tlsFailureReason({ code: 'ERR_SSL_HTTP_REQUEST' })).toBe('plain_http');
    expect(tlsFailureReason({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT' })).toBe('timeout');
    expect(tlsFailureReason({ code: 'ECONNRESET' })).toBe('client_gone');
    expect(tlsFailureReason({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' })).toBe('client_alert');
    expect(tlsFailureReason({ code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' })).toBe('client_alert');
    expect(tlsFailureReason({ code: 'ERR_SSL_NO_SHARED_CIPHER' })).toBe('other');
    expect(tlsFailureReason({})).toBe('other');
  });
});
