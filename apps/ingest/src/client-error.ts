import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponse, wholeRequestPath } from './http-response.ts';

/**
 * What a request Node refuses before the app sees it is answered: the status Node itself would
 * give (its `clientError` default), with the JSON error body every other answer has. The message
 * never quotes the request.
 */
export function clientErrorAnswer(nodeCode: string | undefined): {
  status: number;
  code: string;
  message: string;
} {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'HEADERS_TOO_LARGE',
        message: 'the request headers are over 16 KiB',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'BODY_TOO_LARGE',
        message: 'the chunk extensions of the body are over their limit',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'REQUEST_TIMEOUT',
        message: 'the request was not received in time; send it again',
      };
    default:
      return {
        status: 400,
        code: 'BAD_HTTP_REQUEST',
        message: 'the request is not valid HTTP/1.1',
      };
  }
}

/** Longest an early answer waits to be sent before its connection is closed anyway, ms. */
const CLOSE_AFTER_ANSWER_MS = 1000;

/** What was answered to a request the app never saw. */
export interface EarlyRefusal {
  status: number;
  code: string;
  /** The client's address (the connection's peer), to find the client that sent it. */
  client: string | undefined;
}

/**
 * A server's `clientError` listener: the answer above, then the connection is closed. Returns
 * what it answered, or `undefined` when nothing could be written (the client gone, or an answer
 * already begun).
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex,
): EarlyRefusal | undefined {
  // Nothing is written to a connection that is gone, or that owes an earlier (pipelined) request
  // its answer: a client reads the first answer on a connection as that request's, and would take
  // a stored commit for one refused 400. Closed instead, the request's answer lost: its client
  // sends it again, and is told it is a duplicate.
  const answering = (socket as Duplex & { _httpMessage?: object | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || answering != null) {
    socket.destroy();
    return undefined;
  }
  const answer = clientErrorAnswer(error.code);
  const refusal = errorResponse(
    answer.status,
    answer.code,
    answer.message,
    wholeRequestPath(answer.status),
  );
  const body = JSON.stringify(refusal.body);
  // Closed both ways once the answer is out, as Node's own handler does: the server's sockets are
  // half-open, so `end` alone shut only the sending side, and a client trickling bytes kept the
  // connection, its parser (a request answered 408 could still reach the app once complete) and
  // its body's share of the body budget, past every time-out. Destroyed at the latest after
  // CLOSE_AFTER_ANSWER_MS, for a client that reads nothing and so never lets the answer out.
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
  setTimeout(() => socket.destroy(), CLOSE_AFTER_ANSWER_MS).unref();
  return {
    status: answer.status,
    code: answer.code,
    client: (socket as Duplex & { remoteAddress?: string }).remoteAddress,
  };
}

/** A server's `checkExpectation` listener: an `Expect` other than `100-continue` gets 417. */
export function answerUnmetExpectation(
  request: IncomingMessage,
  response: ServerResponse,
): EarlyRefusal {
  const code = 'EXPECTATION_FAILED';
  const { status, body } = errorResponse(
    417,
    code,
    'the Expect header asks for what this server does not do: only 100-continue is met',
  );
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    connection: 'close',
  });
  response.end(text);
  return { status, code, client: request.socket.remoteAddress };
}
