import type { DashboardRole, DashboardUser, Logger } from '@commitlog/runtime';
import { healthzBody } from '@commitlog/runtime';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { authenticate, recheckSignOut, refuse, requireAdmin, requireUser, userOf } from './auth.ts';
import { boardGuard, type BoardGuardDeps } from './board-guard.ts';
import { BOARD_PATH } from './bull-board.ts';
import { createDeliveryHandlers, type DeliveryHandlerDeps } from './delivery-handlers.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { RedriveAudit } from './redrive-runner.ts';
import { refuseCrossSite, requireCsrfToken, type ForgeryRefusalLog } from './request-forgery.ts';
import type { SessionCodec } from './session.ts';
import { createSessionHandlers } from './session-handlers.ts';
import type { SessionRevocations } from './session-revocations.ts';

export interface DashboardAppDeps
  extends
    Pick<
      DeliveryHandlerDeps,
      'laneCount' | 'readRecordedLaneCount' | 'readOverview' | 'redrive' | 'runner'
    >,
    Pick<BoardGuardDeps, 'jobState'> {
  users: readonly DashboardUser[];
  sessions: SessionCodec;
  /** Sessions signed out before they expired (in Redis, shared by replicas). */
  revocations: SessionRevocations;
  throttle: LoginThrottle;
  secureCookie: boolean;
  verifyPassword(password: string, hash: string): Promise<boolean>;
  /** Bull Board, one per role, over the same queues. */
  boards: Record<DashboardRole, RequestHandler>;
  /** Whether Redis is connected now: errors while it is not are answered 503. */
  isRedisUp(): boolean;
  /**
   * The proxies trusted to name the client (`DASHBOARD_TRUST_PROXY`, express's `trust proxy`);
   * the sign-in throttle counts by that client. Unset: the connection's peer.
   */
  trustProxy?: number | string[] | undefined;
  logger: Logger;
  /** Appends an admin's action on deliveries to the audit trail in Redis (audit-trail.ts). */
  recordAction(record: {
    by: string;
    action: string;
    detail: Record<string, unknown>;
  }): Promise<unknown>;
}

/** Why a view is refused while Redis is away (503). */
const REDIS_AWAY = 'Redis is not answering; the queues cannot be read now';

/** Headers for our own answers: no framing, no sniffing, scripts from nowhere. */
function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  next();
}

/**
 * Bull Board's pages run its own scripts, from this site only; they may not be framed by another
 * page, have their types sniffed, send their URLs (which name lanes and jobs) as a referrer off
 * this site, or load anything from elsewhere: its page asks Google for its fonts, which would
 * tell a third party who opens the dashboard and when (and fail where there is no internet);
 * the browser uses its own fonts instead. Inline styles stay allowed (its page and React use
 * them); inline scripts do not (its one inline script is JSON data, which runs nothing).
 */
function boardHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  );
  next();
}

/**
 * The dashboard: `/healthz` is open; everything else needs a signed-in user. `/deliveries` (and
 * its data at `/api/overview`) for everyone, its re-drive for admins; Bull Board at `/queues`,
 * read-only for viewers. Every state-changing request must come from this site (see
 * `refuseCrossSite`), and our forms also carry the session's CSRF token.
 */
export function createDashboardApp(deps: DashboardAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  const audit = (event: string, detail: Record<string, unknown>) =>
    deps.logger.info({ audit: event, ...detail }, `audit: ${event}`);
  // An action on deliveries also goes to the audit trail in Redis, beside the CLI's (sign-ins
  // stay in the log: a password-guessing run must not push the actions out of a capped trail).
  const record = (event: string, user: string, detail: Record<string, unknown>) => {
    audit(event, { user, ...detail });
    return deps.recordAction({ by: user, action: event, detail });
  };
  const recordOrSay = (event: string, user: string, detail: Record<string, unknown>) =>
    record(event, user, detail).catch((error: unknown) =>
      deps.logger.warn({ err: error, event }, 'audit record not written to Redis'),
    );
  const auditAction = (event: string, detail: Record<string, unknown>) => {
    const { user, ...rest } = detail;
    void recordOrSay(event, typeof user === 'string' ? user : '(unknown)', rest);
  };
  // A re-drive of many, on record before it moves anything (as the CLI's) and after.
  const redriveAudit = (
    event: string,
    user: string,
    asked: Record<string, unknown>,
  ): RedriveAudit => {
    let opened: unknown;
    return {
      async opening() {
        const detail = { ...asked, phase: 'started' };
        // Logged once on record: a re-drive refused for want of its record never started.
        opened = await deps
          .recordAction({ by: user, action: event, detail })
          .catch((error: unknown) => {
            deps.logger.warn({ err: error, event }, 'audit record not written to Redis');
            throw error;
          });
        audit(event, { user, ...detail });
      },
      async closing(outcome) {
        const phase = outcome.interrupted === undefined ? 'done' : 'interrupted';
        const link = typeof opened === 'string' ? { opened } : {};
        await recordOrSay(event, user, { ...asked, phase, ...link, ...outcome });
      },
    };
  };
  const sessionHandlers = createSessionHandlers({ ...deps, audit });
  const deliveries = createDeliveryHandlers({ ...deps, audit: auditAction, redriveAudit });
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const json = express.json({ limit: '16kb' });
  // A forged page driving a signed-in browser, or a proxy that mangles Origin: either way, logged.
  const forgeryRefused: ForgeryRefusalLog = (user, detail) =>
    audit('request forgery refused', { user, ...detail });
  const csrf = requireCsrfToken(deps.sessions, forgeryRefused);
  /** A body the two parsers above skip (text/plain, none named) would be read as no body. */
  const formOrJsonBody: RequestHandler = (req, res, next) => {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (!hasBody || req.is(['application/x-www-form-urlencoded', 'application/json'])) {
      next();
      return;
    }
    refuse(
      req,
      res,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'send the form as application/x-www-form-urlencoded or application/json',
    );
  };

  app.get('/healthz', (_req, res) => res.json(healthzBody()));
  // Every answer from here on, refusals, redirects, JSON and the 404 page included; Bull Board's
  // pages set their own (boardHeaders).
  app.use(pageHeaders);
  app.use(authenticate(deps.users, deps.sessions, deps));
  app.use(refuseCrossSite(forgeryRefused));

  app.get('/login', sessionHandlers.showLogin);
  app.post('/login', form, sessionHandlers.login);
  app.post('/logout', requireUser, form, csrf, sessionHandlers.logout);
  app.get('/', (_req, res) => res.redirect(303, '/deliveries'));
  app.get('/deliveries', requireUser, deliveries.page);
  app.get('/api/overview', requireUser, deliveries.json);
  app.post(
    '/deliveries/redrive',
    requireUser,
    requireAdmin,
    formOrJsonBody,
    form,
    json,
    csrf,
    recheckSignOut(deps.revocations),
    deliveries.redrive,
  );
  // The run is held in memory, so this is the one view that would answer with Redis away, when
  // a signed-out session is let through unchecked (auth.ts): refused then, as every view is.
  const redisUp: RequestHandler = (req, res, next) => {
    if (deps.isRedisUp()) return next();
    refuse(req, res, 503, 'UNAVAILABLE', REDIS_AWAY);
  };
  app.get('/api/redrive', requireUser, redisUp, deliveries.redriveRun);

  /**
   * Bull Board answers its own errors, with a 500, so the 503 below never sees them: while Redis
   * is away its API is refused here, as a condition to wait out rather than a fault.
   */
  const redisUpForBoardApi: RequestHandler = (req, res, next) => {
    // Lower case: Bull Board's router ignores case, so `/API/queues` reaches its API too.
    if (!req.path.toLowerCase().startsWith('/api/') || deps.isRedisUp()) return next();
    refuse(req, res, 503, 'UNAVAILABLE', REDIS_AWAY);
  };
  const guard = boardGuard({
    jobState: deps.jobState,
    laneCount: deps.laneCount,
    readRecordedLaneCount: deps.readRecordedLaneCount,
    runner: deps.runner,
    redrive: (lane, jobId, onProgress, signal) =>
      deps.redrive(jobId === undefined ? {} : { jobId }, [lane], onProgress, signal),
    audit: (user, action, detail) => auditAction(`board: ${action}`, { user, ...detail }),
    redriveAudit: (user, action, asked) => redriveAudit(`board: ${action}`, user, asked),
    auditRefusal: (user, detail) => audit('board: refused', { user, ...detail }),
  });
  app.use(BOARD_PATH, requireUser, boardHeaders, redisUpForBoardApi, guard, (req, res, next) =>
    deps.boards[userOf(res)!.role](req, res, next),
  );

  app.use((req, res) =>
    refuse(req, res, 404, 'NOT_FOUND', `no such page: ${req.method} ${req.path}`),
  );
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser's refusals: too large, malformed. Not JSON.parse's message for a malformed
      // body, which quotes it.
      const malformed = (error as { type?: unknown }).type === 'entity.parse.failed';
      refuse(
        req,
        res,
        status,
        'INVALID_REQUEST',
        malformed ? 'the body is not valid JSON' : (error as Error).message,
        'body',
      );
      return;
    }
    if (!deps.isRedisUp()) {
      refuse(req, res, 503, 'UNAVAILABLE', REDIS_AWAY);
      return;
    }
    deps.logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    refuse(req, res, 500, 'INTERNAL', 'the request failed; the dashboard log has the details');
  });
  return app;
}
