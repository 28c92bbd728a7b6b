import type { RedriveResult } from '@commitlog/queue';
import { Router, type Request, type Response } from 'express';
import { refuse, userOf } from './auth.ts';
import { laneOfBoardName } from './lane-groups.ts';

/** What the guard needs from the queues. */
export interface BoardGuardDeps {
  /** Re-drives failed deliveries of a lane: one (`jobId`) or all. */
  redrive(lane: number, jobId: string | undefined): Promise<RedriveResult>;
  /** Where a job of a lane is now (`failed`, `completed`, `waiting`, …). */
  jobState(lane: number, jobId: string): Promise<string>;
  /** Logs an admin's action on the board. */
  audit(user: string, action: string, detail: Record<string, unknown>): void;
}

/** Statuses whose jobs an admin may clean (delete): finished ones; deleting others loses commits. */
const CLEANABLE = new Set(['failed', 'completed']);

function forbid(req: Request, res: Response, what: string): void {
  refuse(
    req,
    res,
    403,
    'forbidden',
    `commitlog does not allow ${what} from the board: it could lose, duplicate or reorder accepted commits`,
  );
}

function laneOf(req: Request, res: Response): number | undefined {
  const lane = laneOfBoardName(String(req.params.queueName));
  if (lane === undefined) refuse(req, res, 404, 'not-found', 'no such lane queue');
  return lane;
}

/**
 * Sits in front of Bull Board's API and decides every request that changes something. Viewers
 * change nothing. Admins may pause and resume lanes, clean finished jobs, and retry failed ones;
 * a retry becomes commitlog's re-drive (the job goes to the end of its lane with a fresh TTL;
 * Bull Board's own retry would keep the old TTL, so an expired commit would expire again at
 * once). Everything else (adding or editing jobs, emptying a lane, changing its concurrency or
 * rate limit) is refused: each could lose or reorder commits.
 */
export function boardGuard(deps: BoardGuardDeps): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next('router');
    if (userOf(res)?.role !== 'admin') {
      refuse(req, res, 403, 'forbidden', 'viewers cannot change anything');
      return;
    }
    next();
  });
  // `next('router')` hands the request on to Bull Board; plain `next()` would reach the refusal below.
  router.put(['/api/queues/pause', '/api/queues/resume'], (_req, _res, next) => next('router'));
  router.put(['/api/queues/:queueName/pause', '/api/queues/:queueName/resume'], (req, res, next) =>
    laneOf(req, res) === undefined ? undefined : next('router'),
  );
  router.put('/api/queues/:queueName/retry/:queueStatus', async (req, res) => {
    const lane = laneOf(req, res);
    if (lane === undefined) return;
    if (req.params.queueStatus !== 'failed') return forbid(req, res, 'retrying delivered commits');
    const result = await deps.redrive(lane, undefined);
    deps.audit(userOf(res)!.name, 'redrive lane', { lane, ...result });
    res.json({ retried: result.redriven, skipped: result.skipped });
  });
  router.put('/api/queues/:queueName/:jobId/retry', async (req, res) => {
    const lane = laneOf(req, res);
    if (lane === undefined) return;
    const jobId = String(req.params.jobId);
    if ((await deps.jobState(lane, jobId)) !== 'failed') {
      return forbid(req, res, 'retrying a commit that has not failed');
    }
    const result = await deps.redrive(lane, jobId);
    deps.audit(userOf(res)!.name, 'redrive job', { lane, jobId, ...result });
    res.status(204).end();
  });
  router.put('/api/queues/:queueName/clean/:queueStatus', (req, res, next) => {
    if (laneOf(req, res) === undefined) return;
    if (!CLEANABLE.has(String(req.params.queueStatus))) {
      return forbid(req, res, `cleaning ${String(req.params.queueStatus)} jobs`);
    }
    deps.audit(userOf(res)!.name, 'clean lane', {
      queue: req.params.queueName,
      status: req.params.queueStatus,
    });
    next('router');
  });
  router.put('/api/queues/:queueName/:jobId/clean', async (req, res, next) => {
    const lane = laneOf(req, res);
    if (lane === undefined) return;
    const jobId = String(req.params.jobId);
    const state = await deps.jobState(lane, jobId);
    if (!CLEANABLE.has(state)) return forbid(req, res, `cleaning a ${state} commit`);
    deps.audit(userOf(res)!.name, 'clean job', { lane, jobId, state });
    next('router');
  });
  router.use((req, res) => forbid(req, res, `${req.method} ${req.path}`));
  return router;
}
