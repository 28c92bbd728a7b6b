import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Node's fields (not declared by @types/node; client-error.ts reads the first too): the response
 * a connection is sending, and whether that response closes the connection after it.
 */
interface NodeSocket {
  _httpMessage?: ServerResponse | null;
}
interface NodeResponse {
  _last?: boolean;
}

/**
 * Calls `handle` once the answer to the request sent before `req` on its connection (pipelined:
 * sent before that answer was) is out, at once when there is none.
 *
 * When that earlier answer closes the connection (every answer but one to a signed request does:
 * see write-answer.ts), `req` is dropped unhandled and `dropped` is called. Node parses a
 * pipelined request and hands it on while the earlier answer is still being made, then tears the
 * connection down after that answer: `req`'s own answer, queued behind it, was never sent, though
 * its commit was stored. Dropped, nothing of it is stored; its client, which saw the connection
 * close with no answer, sends it again.
 */
export function afterEarlierAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  handle: () => void,
  dropped: () => void,
): void {
  const earlier = (req.socket as IncomingMessage['socket'] & NodeSocket)._httpMessage;
  if (earlier == null || earlier === res) {
    handle();
    return;
  }
  let settled = false;
  const settle = (): void => {
    if (settled) return;
    settled = true;
    earlier.off('finish', settle);
    earlier.off('close', settle);
    if (closesConnection(earlier) || !earlier.writableFinished || req.socket.destroyed) {
      dropped();
      // Node closes it itself once the earlier answer is out; this makes sure of it.
      req.socket.destroySoon();
      return;
    }
    handle();
  };
  // Node's own listeners, added first, run first: by now it has begun closing the connection, or
  // has made `res` the one it sends next.
  earlier.once('finish', settle);
  earlier.once('close', settle);
}

/** Whether a response, once sent, closes its connection (`Connection: close`, ours or Node's). */
function closesConnection(res: ServerResponse): boolean {
  const connection = res.getHeader('connection');
  return (
    (res as ServerResponse & NodeResponse)._last === true ||
    (typeof connection === 'string' && connection.toLowerCase() === 'close')
  );
}
