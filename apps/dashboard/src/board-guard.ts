import type { RedriveResult } from '@commitlog/queue';
import { Router, type Request, type Response } from 'express';
import { answerUnlessStopped, auditedRedrive } from './audited-redrive.ts';
import { refuse, userOf } from './auth.ts';
import { laneOfBoardName } from './lane-groups.ts';
import type { RedriveProgress } from './redrive-progress.ts';
import type { RedriveAudit, RedriveRunner } from './redrive-runner.ts';

/** What the guard needs from the queues. */
export interface BoardGuardDeps {
  /** Re-drives failed deliveries of a lane: one (`jobId`) or all. */
  redrive(
    lane: number,
    jobId: string | undefined,
    onProgress?: (soFar: RedriveProgress) => void,
    signal?: AbortSignal,
  ): Promise<RedriveResult>;
  /** Runs the re-drives of many (a lane's), one at a time and past their request. */
  runner: RedriveRunner;
  /** Where a job of a lane is now (`failed`, `delivered`, `waiting`, …). */
  jobState(lane: number, jobId: string): Promise<string>;
  /** Logs an admin's action on the board. */
  audit(user: string, action: string, detail: Record<string, unknown>): void;
  /** The audit records of a re-drive of many (a lane's), before and after. */
  redriveAudit(user: string, action: string, asked: Record<string, unknown>): RedriveAudit;
  /**
   * Logs a change refused (a viewer's, or one commitlog allows nobody): a stolen session probing
   * what it may do must leave a trace.
   */
  auditRefusal(user: string, detail: Record<string, unknown>): void;
  /** This dashboard's LANES: the lanes Bull Board has. */
  laneCount: number;
  /** The lane count recorded in Redis, if any process has recorded one. */
  readRecordedLaneCount(): Promise<number | undefined>;
}

function forbid(req: Request, res: Response, what: string): void {
  refuse(
    req,
    res,
    403,
    'FORBIDDEN',
    `commitlog does not allow ${what} from the board: it could lose, duplicate or reorder accepted commits`,
  );
}

/**
 * Most jobs of a lane (of each state, in Bull Board's "latest" view) one page of Bull Board's
 * list shows. Bull Board reads every job of a page whole, its commit with it, before our
 * redaction: a job holds up to `MAX_COMMIT_BYTES` as base64, about 1.3 MB and as much again
 * parsed, so its own settings' 300 a page of large commits (a backlog of big objects, failures
 * as too-large) is gigabytes, past the dashboard's heap. A page asking for more gets this many:
 * Bull Board counts its pages from the number it is given.
 */
export const MAX_JOBS_PER_PAGE = 50;

/**
 * Lowers a query's `jobsPerPage` to MAX_JOBS_PER_PAGE, by rewriting the URL Bull Board reads (a
 * query given twice, or that is not a number, gets it too).
 */
function capJobsPerPage(req: Request): void {
  const url = new URL(req.url, 'http://dashboard');
  const asked = url.searchParams.getAll('jobsPerPage');
  if (asked.length === 0) return;
  const [only] = asked;
  const perPage = Number(only);
  if (asked.length === 1 && Number.isInteger(perPage) && perPage <= MAX_JOBS_PER_PAGE) return;
  url.searchParams.set('jobsPerPage', String(MAX_JOBS_PER_PAGE));
  req.url = `${url.pathname}${url.search}`;
}

function laneOf(req: Request, res: Response, laneCount: number): number | undefined {
  const lane = laneOfBoardName(String(req.params.queueName), laneCount);
  if (lane === undefined) refuse(req, res, 404, 'NOT_FOUND', 'no such lane queue');
  return lane;
}

/**
 * Sits in front of Bull Board's API and decides every request that changes something. Viewers
 * change nothing. Admins may pause and resume lanes and retry failed jobs;
 * a retry becomes commitlog's re-drive (the job goes to the end of its lane with a fresh TTL;
 * Bull Board's own retry would keep the old TTL, so an expired commit would expire again at
 * once). Everything else is refused: adding or editing jobs, emptying a lane, changing its
 * concurrency or rate limit, and cleaning jobs (a failed job is a commit not yet on Kafka).
 * Failed jobs leave by themselves after `FAILED_RETENTION`; delivered ones are removed at once,
 * leaving a mark for `DEDUP_WINDOW`.
 */
export function boardGuard(deps: BoardGuardDeps): Router {
  // Bull Board's router ignores case and a trailing slash: matched that way here too, `PAUSE`
  // would pause every lane and be audited as a resume. Only the exact paths pass; any other
  // spelling meets the refusal below.
  const router = Router({ caseSensitive: true, strict: true });
  /** A change commitlog allows nobody: refused, and logged with its method and path. */
  const refused = (req: Request, res: Response, what: string): void => {
    deps.auditRefusal(userOf(res)!.name, { method: req.method, path: req.path, status: 403 });
    forbid(req, res, what);
  };
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Any path: Bull Board answers `/API/Queues/` as `/api/queues`.
      capJobsPerPage(req);
      return next('router');
    }
    const user = userOf(res);
    if (user?.role !== 'admin') {
      deps.auditRefusal(user?.name ?? '(unknown)', {
        method: req.method,
        path: req.path,
        status: 403,
      });
      refuse(req, res, 403, 'FORBIDDEN', 'viewers cannot change anything');
      return;
    }
    next();
  });
  // `next('router')` hands the request on to Bull Board; plain `next()` would reach the refusal below.
  router.put(['/api/queues/pause', '/api/queues/resume'], async (req, res, next) => {
    const action = req.path.endsWith('pause') ? 'pause' : 'resume';
    // Bull Board pauses the lanes it has: under a stale LANES, "all" would leave lanes out and
    // the admin would believe every lane stopped.
    const recorded = await deps.readRecordedLaneCount();
    if (recorded !== undefined && recorded > deps.laneCount) {
      refuse(
        req,
        res,
        409,
        'STALE_LANE_COUNT',
        `this dashboard runs with LANES=${deps.laneCount} but the queues in Redis are made with LANES=${recorded}: ` +
          `${action} all would reach lanes 0 to ${deps.laneCount - 1} only; restart the dashboard with LANES=${recorded}`,
      );
      return;
    }
    auditWhenAnswered(res, (outcome) =>
      deps.audit(userOf(res)!.name, `${action} all lanes`, outcome),
    );
    next('router');
  });
  router.put(
    ['/api/queues/:queueName/pause', '/api/queues/:queueName/resume'],
    (req, res, next) => {
      const lane = laneOf(req, res, deps.laneCount);
      if (lane === undefined) return;
      const action = `${req.path.endsWith('pause') ? 'pause' : 'resume'} lane`;
      auditWhenAnswered(res, (outcome) =>
        deps.audit(userOf(res)!.name, action, { lane, ...outcome }),
      );
      next('router');
    },
  );
  router.put('/api/queues/:queueName/retry/:queueStatus', async (req, res) => {
    const lane = laneOf(req, res, deps.laneCount);
    if (lane === undefined) return;
    if (req.params.queueStatus !== 'failed') return refused(req, res, 'retrying delivered commits');
    const user = userOf(res)!.name;
    const started = answerUnlessStopped(
      req,
      res,
      await deps.runner.start(
        { by: user, what: `lane ${lane}` },
        (onProgress, signal) => deps.redrive(lane, undefined, onProgress, signal),
        deps.redriveAudit(user, 'redrive lane', { lane }),
      ),
    );
    if (started?.state === 'finished') {
      const { redriven, skipped, unreadable } = started.result;
      res.json({ retried: redriven, skipped, ...(unreadable ? { unreadable } : {}) });
    } else if (started) {
      // Going on past this answer: the Deliveries page follows it.
      res.status(202).json({ running: true, retried: started.run.soFar.redriven, ...started.run });
    }
  });
  router.put('/api/queues/:queueName/:jobId/retry', async (req, res) => {
    const lane = laneOf(req, res, deps.laneCount);
    if (lane === undefined) return;
    const jobId = String(req.params.jobId);
    const state = await deps.jobState(lane, jobId);
    if (state !== 'failed') {
      // Bull Board offers a retry on failed jobs only: one that is not (any more) was re-driven
      // by another operator, delivered, or removed. Nothing moves, and no probe is logged.
      refuse(
        req,
        res,
        409,
        'NOT_REDRIVEN',
        `job ${jobId} is not a failed delivery (it is ${state === 'unknown' ? 'gone' : state}: re-driven by ` +
          'someone else, delivered, or removed after FAILED_RETENTION): nothing was moved',
      );
      return;
    }
    const result = await auditedRedrive(
      req,
      res,
      () => deps.redrive(lane, jobId),
      (outcome) => deps.audit(userOf(res)!.name, 'redrive job', { lane, jobId, ...outcome }),
    );
    if (result === undefined) return;
    if (result.unreadable) {
      refuse(
        req,
        res,
        409,
        'NOT_REDRIVEN',
        `job ${jobId} holds no commit (its data in Redis is not valid JSON, or not a commit job's), so it cannot be re-driven: it stays failed; discard it with commitlog discard --job ${jobId}`,
      );
      return;
    }
    // It failed when asked, and then moved before the re-drive reached it: not a success to show.
    if (result.redriven === 0) {
      refuse(
        req,
        res,
        409,
        'NOT_REDRIVEN',
        `job ${jobId} was no longer a failed delivery when the re-drive reached it (re-driven by ` +
          `someone else, or removed after FAILED_RETENTION): nothing was moved`,
      );
      return;
    }
    res.status(204).end();
  });
  router.use((req, res) => {
    refused(req, res, `${req.method} ${req.path}`);
  });
  return router;
}

/**
 * Audits what Bull Board does with a request once it has answered, with the answer's status:
 * Bull Board pauses lanes one after another, and a "pause all" that failed part-way (Redis gone
 * at lane k) must not stand in the audit log as done.
 */
function auditWhenAnswered(
  res: Response,
  audit: (outcome: { status: number | 'no answer' }) => void,
): void {
  res.once('close', () => audit({ status: res.writableFinished ? res.statusCode : 'no answer' }));
}
