import { describe, expect, it } from 'vitest';
import {
  createIngestServer,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  SOCKET_IDLE_TIMEOUT_MS,
  TIMEOUT_CHECK_EVERY_MS,
} from './ingest-server.ts';

describe('the ingest server', () => {
  it('checks its slow-client time-outs every second, not every 30 s (Node’s default)', () => {
    const server = createIngestServer((_req, res) => res.end());
    // Set from createServer's option; @types/node does not declare the property.
    const { connectionsCheckingInterval } = server as unknown as {
      connectionsCheckingInterval: number;
    };
    expect(connectionsCheckingInterval).toBe(TIMEOUT_CHECK_EVERY_MS);
    expect(TIMEOUT_CHECK_EVERY_MS).toBeLessThan(HEADERS_TIMEOUT_MS);
    expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
  });

  it('closes a socket idle past the keep-alive time-out, also one whose answers are not read', () => {
    const server = createIngestServer((_req, res) => res.end());
    expect(server.timeout).toBe(SOCKET_IDLE_TIMEOUT_MS);
    expect(SOCKET_IDLE_TIMEOUT_MS).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});
