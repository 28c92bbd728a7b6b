/**
 * Posts signed commit bodies the way the Riak hook does: one commit per POST, over a small pool of
 * kept-alive connections, signed with `X-Commitlog-Signature` at send time.
 */
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { Agent, request } from 'node:http';

export interface PostOutcome {
  status: number;
  /** The commit id of a 2xx answer (`{"id"}`), when the answer carries one. */
  id: string | undefined;
}

export interface SignedPoster {
  post(body: Buffer): Promise<PostOutcome>;
  close(): void;
}

export function createSignedPoster(options: {
  url: string;
  secret: string;
  /** Kept-alive connections at most (the hook keeps a small pool per Riak node). */
  sockets: number;
  /** A request that has no answer after this long counts as refused (status 0). */
  timeoutMs?: number;
}): SignedPoster {
  const url = new URL('/v1/commits', options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.sockets });
  return {
    post(body) {
      return new Promise((resolve) => {
        const req = request(
          url,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': body.length,
              [SIGNATURE_HEADER]: signRequest(options.secret, body, Date.now() / 1000),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              let id: string | undefined;
              if (status >= 200 && status < 300) {
                try {
                  id = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: string }).id;
                } catch {
                  // No id: counted as accepted without one.
                }
              }
              resolve({ status, id });
            });
            res.on('error', () => resolve({ status: 0, id: undefined }));
          },
        );
        req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy());
        req.on('error', () => resolve({ status: 0, id: undefined }));
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
