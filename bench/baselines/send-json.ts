import type { ServerResponse } from 'node:http';

/**
 * Answers with a JSON body and its Content-Length, as the ingest (express) does: the load
 * generator reads answers by their length (lib/http1-pool.ts), and every design answers alike.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
