/**
 * Posts signed commit bodies the way the Riak hook does: one commit per POST, over a small pool of
 * kept-alive connections, signed with `X-Commitlog-Signature` at send time.
 */
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { createHttp1Pool } from './http1-pool.ts';

export interface PostOutcome {
  status: number;
  /** The commit id of a 2xx answer (`{"id"}`), when the answer carries one. */
  id: string | undefined;
  /**
   * A 2xx answer said the commit was stored already (`"duplicate": true`). The bench never sends
   * a commit twice (each one's vclock holds its number), so such an answer stands for none.
   */
  duplicate?: boolean;
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
  const pool = createHttp1Pool({
    host: url.hostname,
    port: Number(url.port || 80),
    connections: options.sockets,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`;
  return {
    async post(body) {
      const signature = signRequest(options.secret, body, Date.now() / 1000);
      const answer = await pool.request(
        `${head}Content-Length: ${body.length}\r\n${SIGNATURE_HEADER}: ${signature}\r\n\r\n`,
        body,
      );
      let id: string | undefined;
      let duplicate = false;
      if (answer.status >= 200 && answer.status < 300) {
        try {
          const parsed = JSON.parse(answer.body.toString()) as { id?: string; duplicate?: unknown };
          id = parsed.id;
          duplicate = parsed.duplicate === true;
        } catch {
          // No id: counted as accepted without one.
        }
      }
      return { status: answer.status, id, duplicate };
    },
    close: () => pool.close(),
  };
}
