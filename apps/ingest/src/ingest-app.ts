import { SIGNATURE_HEADER } from '@commitlog/core';
import {
  healthzBody,
  metricsResult,
  notReadyOnceStopping,
  readyzResult,
  type Logger,
  type Readiness,
  type ReadinessProbe,
  type Registry,
} from '@commitlog/runtime';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { CommitHandlers } from './commit-handlers.ts';
import type { CommitRequest } from './commit-request.ts';
import { BATCH_ROUTE, COMMIT_ROUTE } from './commit-routes.ts';
import {
  errorOf,
  errorResponse,
  hostMissing,
  wholeRequestPath,
  type HttpResponse,
} from './http-response.ts';
import { hookVersionOf } from './hook-version.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { afterEarlierAnswer } from './pipelined-request.ts';
import { BodyAbortedError, readRawBody } from './read-raw-body.ts';
import { logRequest } from './request-log.ts';
import type { CommitResponse, RequestSummary } from './request-summary.ts';
import { writeAnswer, type Answer } from './write-answer.ts';

export interface IngestAppOptions {
  commits: CommitHandlers;
  readiness: ReadinessProbe;
  registry: Registry;
  metrics: IngestMetrics;
  logger: Logger;
  /** True once the ingest is stopping: answers then close their connection. */
  isClosing: () => boolean;
  /** Longest a refused body is drained, ms; tests shorten it. Default `DRAIN_REFUSED_BODY_MAX_MS`. */
  drainRefusedBodyMs?: number;
}

/** What the request log and metrics need, kept on `res.locals` while the request runs. */
interface RequestLocals {
  requestId: string;
  route: string;
  summary?: RequestSummary;
  /** The commit handler found the request's signature good (see `CommitResponse`). */
  signed?: boolean;
  error?: { code: string; message: string } | undefined;
  /** Settles when the commit handler is done (stored or refused), whether or not it could answer. */
  handled?: Promise<unknown>;
  /**
   * When the answer was written whole (`performance.now()`): a refusal's connection may stay
   * open after it while the rest of its body is drained (see `writeAnswer`).
   */
  answeredAt?: number;
}

const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** What `res.json` sent: every answer but `/metrics`'s is JSON. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The express wiring of the ingest, and the only express-aware file: it turns requests into the
 * handlers' typed requests and their `{status, body, headers}` into answers, and logs one line
 * per request (never a body, a value or the signature). Every answer, errors included, is JSON.
 */
export function createIngestApp(options: IngestAppOptions): Express {
  const { commits, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  /** Writes a handler's answer as JSON. */
  function send(req: Request, res: Response, response: HttpResponse): void {
    const error = errorOf(response);
    localsOf(res).error =
      error && response.logMessage !== undefined
        ? { ...error, message: response.logMessage }
        : error;
    for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
    answer(req, res, {
      status: response.status,
      contentType: JSON_CONTENT_TYPE,
      body: JSON.stringify(response.body),
    });
  }

  /**
   * Writes an answer. Only a request whose signature checked out keeps its connection, and not
   * once the ingest is stopping (a kept-alive connection would hold the stop up): see
   * `writeAnswer` for why every other answer closes it.
   */
  function answer(req: Request, res: Response, whole: Answer): void {
    const locals = localsOf(res);
    locals.answeredAt = performance.now();
    writeAnswer(
      req,
      res,
      whole,
      locals.signed === true && !options.isClosing(),
      options.drainRefusedBodyMs,
    );
  }

  function methodNotAllowed(route: string, allow: string) {
    return (req: Request, res: Response): void => {
      localsOf(res).route = route;
      send(
        req,
        res,
        errorResponse(405, 'METHOD_NOT_ALLOWED', `${route} answers ${allow} only`, {
          headers: { Allow: allow },
        }),
      );
    };
  }

  // First: a request pipelined behind an answer that closes the connection is never answered.
  app.use((req: Request, res: Response, next: NextFunction) => {
    afterEarlierAnswer(
      req,
      res,
      () => next(),
      () =>
        logger.debug(
          { method: req.method, client: req.socket.remoteAddress },
          'pipelined request dropped: the answer before it closed the connection',
        ),
    );
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    // Read now: once the socket is closed, Node no longer knows its peer.
    const client = req.socket.remoteAddress;
    const locals: RequestLocals = { requestId: randomUUID(), route: 'unknown' };
    res.locals.ingest = locals;
    res.setHeader('X-Request-Id', locals.requestId);
    // 'close' comes after every answer, and also when the client went away before it was sent
    // (a hook that timed out). Then the handler may still be storing the commit: the line and the
    // counters wait for it, so that a commit stored for a client that left is counted, and its
    // line has its id and lane (what an operator reconciles a hook's timeout with).
    res.once('close', () => {
      const seconds = ((locals.answeredAt ?? performance.now()) - started) / 1000;
      const aborted = !res.writableFinished && locals.answeredAt === undefined;
      const report = (): void => {
        const finished = {
          requestId: locals.requestId,
          method: req.method,
          route: locals.route,
          status: res.statusCode,
          aborted,
          client,
          seconds,
          error: locals.error,
          summary: locals.summary,
          // Read only once the signature is good: the header is the client's to say anything.
          ...(locals.signed ? { hookVersion: hookVersionOf(req.get('user-agent')) } : {}),
        };
        options.metrics.observe(finished);
        logRequest(logger, finished, { quiet: OPS_ROUTES.has(locals.route) });
      };
      if (locals.handled) void locals.handled.then(report, report);
      else report();
    });
    next();
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const refused = hostMissing(req);
    if (refused) send(req, res, refused);
    else next();
  });

  const commitRoute =
    (route: string, handle: (request: CommitRequest) => Promise<CommitResponse>) =>
    async (req: Request, res: Response): Promise<void> => {
      const locals = localsOf(res);
      locals.route = route;
      const handled = handle(commitRequest(req, res)).then((response) => {
        locals.summary = response.summary;
        locals.signed = response.signed === true;
        return response;
      });
      locals.handled = handled;
      send(req, res, await handled);
    };
  app.post(
    COMMIT_ROUTE,
    commitRoute(COMMIT_ROUTE, (r) => commits.postCommit(r)),
  );
  app.all(COMMIT_ROUTE, methodNotAllowed(COMMIT_ROUTE, 'POST'));
  app.post(
    BATCH_ROUTE,
    commitRoute(BATCH_ROUTE, (r) => commits.postBatch(r)),
  );
  app.all(BATCH_ROUTE, methodNotAllowed(BATCH_ROUTE, 'POST'));

  let lastReady: boolean | undefined;
  app.get('/healthz', (req: Request, res: Response) => {
    localsOf(res).route = '/healthz';
    send(req, res, { status: 200, body: healthzBody() });
  });
  app.get('/readyz', async (req: Request, res: Response) => {
    localsOf(res).route = '/readyz';
    // Only a connection kept alive from before the stop still reaches this once it has begun.
    const { status, body } = await readyzResult(
      notReadyOnceStopping(options.readiness, options.isClosing),
    );
    if (body.ready !== lastReady) {
      lastReady = body.ready;
      if (body.ready) logger.info({ checks: body.checks }, 'ready');
      else logger.warn({ checks: body.checks }, 'not ready');
    }
    send(req, res, { status, body: withoutDetails(body) });
  });
  app.get('/metrics', async (req: Request, res: Response) => {
    localsOf(res).route = '/metrics';
    answer(req, res, await metricsResult(options.registry));
  });
  for (const route of OPS_ROUTES) app.all(route, methodNotAllowed(route, 'GET, HEAD'));

  app.use((req: Request, res: Response) => {
    const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
    send(req, res, errorResponse(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${path}`));
  });

  // Express calls a four-argument middleware with what a handler threw or rejected with.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof BodyAbortedError || res.headersSent || req.socket.destroyed) {
      // The client went away mid-body, or the request timed out: nobody to answer.
      logger.debug({ err: error, requestId: localsOf(res).requestId }, 'request abandoned');
      req.socket.destroy();
      return;
    }
    const status = clientErrorStatus(error);
    if (status !== undefined) {
      const refusal = errorResponse(
        status,
        'BAD_REQUEST',
        'the request could not be read',
        wholeRequestPath(status),
      );
      send(req, res, refusal);
      return;
    }
    logger.error({ err: error, requestId: localsOf(res).requestId }, 'unexpected error');
    send(req, res, errorResponse(500, 'INTERNAL', 'internal error; it was logged'));
  });

  return app;
}

/**
 * `/readyz` as the commit port answers it: each check's name and whether it passed, without its
 * detail. The commit port is open to every Riak node, unauthenticated, and the details name
 * Redis's nodes and quote Redis's errors; the ops port (`INGEST_OPS_PORT`, for probes and
 * operators) and the `not ready` log line have them.
 */
function withoutDetails(readiness: Readiness): Readiness {
  const checks = Object.fromEntries(
    Object.entries(readiness.checks).map(([name, check]) => [name, { ok: check.ok }]),
  );
  return { ready: readiness.ready, checks };
}

function localsOf(res: Response): RequestLocals {
  return res.locals.ingest as RequestLocals;
}

function commitRequest(req: Request, res: Response): CommitRequest {
  const length = req.get('content-length');
  return {
    contentType: req.get('content-type'),
    contentEncoding: req.get('content-encoding'),
    contentLength: length === undefined || length === '' ? undefined : Number(length),
    signature: req.get(SIGNATURE_HEADER),
    readBody: (limit, admit) => {
      // The client waits for this before sending the body (see ingest-server.ts).
      if (req.get('expect')?.toLowerCase() === '100-continue') res.writeContinue();
      return readRawBody(req, limit, admit);
    },
  };
}

/** The status of an error express or Node raised about the request itself (4xx), if it is one. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status =
    (error as { status?: unknown; statusCode?: unknown }).status ??
    (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
