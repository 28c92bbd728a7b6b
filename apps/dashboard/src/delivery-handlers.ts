import { lanesToCover } from '@commitlog/queue';
import type { DeliveryOverview, RedriveFilter, RedriveResult } from '@commitlog/queue';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { answerUnlessStopped, auditedRedrive } from './audited-redrive.ts';
import { refuse, userOf } from './auth.ts';
import { overviewPage } from './overview-page.ts';
import { redriveNoticeCookie, redriveNoticeGone, redriveNoticeOf } from './redrive-notice.ts';
import type { RedriveProgress } from './redrive-progress.ts';
import type { RedriveAudit, RedriveRunner, RedriveRunView } from './redrive-runner.ts';

export interface DeliveryHandlerDeps {
  /** This dashboard's LANES: the lanes Bull Board shows. */
  laneCount: number;
  /** The lane count recorded in Redis by the first ingest or worker, if any has run. */
  readRecordedLaneCount(): Promise<number | undefined>;
  /** The overview of lanes 0 to `laneCount - 1`. */
  readOverview(laneCount: number): Promise<DeliveryOverview>;
  /** Re-drives the failed deliveries that match, in `lanes`; `onProgress` hears the counts now and then. */
  redrive(
    filter: RedriveFilter,
    lanes: number[],
    onProgress?: (soFar: RedriveProgress) => void,
    signal?: AbortSignal,
  ): Promise<RedriveResult>;
  /** Runs the re-drives of many (a reason), one at a time and past their request. */
  runner: RedriveRunner;
  audit(event: string, detail: Record<string, unknown>): void;
  /** The audit records of a re-drive of many, before and after. */
  redriveAudit(event: string, user: string, asked: Record<string, unknown>): RedriveAudit;
  /** `DASHBOARD_SECURE_COOKIE`: the re-drive notice's cookie is `Secure` too. */
  secureCookie: boolean;
}

/** A lane number as a form sends it (text) or JSON does (a number); never an empty field. */
const laneField = z.preprocess(
  (v) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : v),
  z.number({ error: 'must be a lane number such as 3' }).int().min(0),
);

/** A re-drive request: one delivery (`jobId` and its `lane`) or every one of a `reason`. */
const redriveFields = z.strictObject({
  _csrf: z.string().optional(), // checked before, with the X-CSRF-Token header
  jobId: z.string().min(1, 'must be a failed delivery’s id').max(200).optional(),
  lane: laneField.optional(),
  // Matched exactly against the failures' reasons, which may be any text (`unknown`, …).
  reason: z.string().min(1, 'must be a failure reason such as expired').max(200).optional(),
});

type RedriveForm = { jobId: string; lane: number } | { reason: string };

/** A refused re-drive request: the field that is wrong (`body` for the whole), and why. */
interface RedriveFormProblem {
  ok: false;
  path: string;
  /** `<path>: <why>`. */
  message: string;
}

function problem(path: string, why: string): RedriveFormProblem {
  return { ok: false, path, message: `${path}: ${why}` };
}

/** The re-drive a request asks for, or the field that is wrong and why. */
export function parseRedriveForm(
  body: unknown,
): { ok: true; form: RedriveForm } | RedriveFormProblem {
  const parsed = redriveFields.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      // Named by the field itself, which a script that misspelt it can find.
      return problem(
        issue.keys[0] ?? 'body',
        'not a field of a re-drive (send jobId and lane, or reason)',
      );
    }
    return problem(issue?.path.join('.') || 'body', issue?.message ?? 'invalid');
  }
  const { jobId, lane, reason } = parsed.data;
  if (jobId !== undefined && reason !== undefined) {
    return problem('reason', 'send jobId and lane, or reason, not both');
  }
  if (jobId !== undefined) {
    if (lane === undefined) return problem('lane', 'required with jobId');
    return { ok: true, form: { jobId, lane } };
  }
  if (reason !== undefined) {
    if (lane !== undefined) return problem('lane', 'only with jobId');
    return { ok: true, form: { reason } };
  }
  return problem('body', 'send jobId and lane, or reason');
}

/** How long the page still tells of a re-drive that went on past its request, once it ended. */
const RUN_SHOWN_MS = 3_600_000;

/** What the page says of a re-drive of many that is running, or went on past its request. */
function runNotice(run: RedriveRunView): string {
  const at = (ms: number) => new Date(ms).toISOString();
  const moved =
    `${run.soFar.redriven} re-driven` +
    (run.soFar.skipped > 0
      ? `, ${run.soFar.skipped} had already been moved, removed or failed again`
      : '') +
    (run.soFar.unreadable ? `, ${run.soFar.unreadable.count} left failed (unreadable)` : '');
  if (run.state === 'running') {
    const read = run.soFar.read ? ` (${run.soFar.read} failed deliveries read)` : '';
    return `A re-drive of ${run.what}, started by ${run.by} at ${at(run.startedAt)}, is running: ${moved} so far${read}. Reload to follow it.`;
  }
  const ended = at(run.endedAt ?? run.startedAt);
  if (run.state === 'interrupted') {
    return `The re-drive of ${run.what} by ${run.by} stopped at ${ended} (${moved}): ${run.interrupted ?? 'interrupted'}. Run it again to move the rest.`;
  }
  return `The re-drive of ${run.what} by ${run.by} ended at ${ended}: ${moved}. They are back at the end of their lanes with a fresh TTL.`;
}

function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** The Deliveries page, its data as JSON, and the re-drive action. */
export function createDeliveryHandlers(deps: DeliveryHandlerDeps) {
  /** The lanes the views and re-drives cover (`lanesToCover`), and the recorded count. */
  async function lanesInUse(): Promise<{ count: number; recorded: number | undefined }> {
    const recorded = await deps.readRecordedLaneCount();
    return { count: lanesToCover(recorded, deps.laneCount), recorded };
  }

  return {
    page: async (req: Request, res: Response): Promise<void> => {
      const run = deps.runner.current();
      const shown =
        run && (run.state === 'running' || Date.now() - (run.endedAt ?? 0) < RUN_SHOWN_MS);
      // The re-drive just done, shown once (the cookie its answer set, not the query string).
      const redriven = redriveNoticeOf(req.headers.cookie);
      const notice =
        [redriven.notice, shown && runNotice(run)].filter(Boolean).join(' ') || undefined;
      const { count, recorded } = await lanesInUse();
      const overview = await deps.readOverview(count);
      res.setHeader('Cache-Control', 'no-store');
      if (redriven.present) res.setHeader('Set-Cookie', redriveNoticeGone(deps.secureCookie));
      res.type('html').send(
        overviewPage({
          overview,
          boardLaneCount: deps.laneCount,
          recordedLaneCount: recorded,
          user: userOf(res)!,
          notice,
        }),
      );
    },

    json: async (_req: Request, res: Response): Promise<void> => {
      const { count } = await lanesInUse();
      const overview = await deps.readOverview(count);
      res.setHeader('Cache-Control', 'no-store');
      res.json(overview);
    },

    /** The running re-drive of many, else the last one that went on past its request. */
    redriveRun: (_req: Request, res: Response): void => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ run: deps.runner.current() ?? null });
    },

    redrive: async (req: Request, res: Response): Promise<void> => {
      const parsed = parseRedriveForm(req.body);
      if (!parsed.ok) {
        refuse(req, res, 400, 'INVALID_REQUEST', parsed.message, parsed.path);
        return;
      }
      const { form } = parsed;
      const { count } = await lanesInUse();
      if ('lane' in form && form.lane >= count) {
        refuse(
          req,
          res,
          400,
          'INVALID_REQUEST',
          `lane: must be below the lane count (${count})`,
          'lane',
        );
        return;
      }
      const user = userOf(res)!.name;
      let result: RedriveResult | undefined;
      if ('jobId' in form) {
        const what = { jobId: form.jobId, lane: form.lane };
        result = await auditedRedrive(
          req,
          res,
          () => deps.redrive({ jobId: form.jobId }, [form.lane]),
          (outcome) => deps.audit('re-drove', { user, ...what, ...outcome }),
        );
      } else {
        const { reason } = form;
        const lanes = Array.from({ length: count }, (_, lane) => lane);
        const started = answerUnlessStopped(
          req,
          res,
          await deps.runner.start(
            { by: user, what: `reason ${reason}` },
            (onProgress, signal) => deps.redrive({ reason }, lanes, onProgress, signal),
            deps.redriveAudit('re-drove', user, { reason }),
          ),
        );
        if (started?.state === 'running') {
          if (wantsJson(req)) res.status(202).json({ running: true, ...started.run });
          else res.redirect(303, '/deliveries');
          return;
        }
        result = started?.result;
      }
      if (!result) return;
      // One delivery asked for by a script, and nothing moved (a wrong lane, or it moved or was
      // removed meanwhile): not a success a status check would take for one.
      if ('jobId' in form && result.redriven === 0 && wantsJson(req)) {
        refuse(
          req,
          res,
          409,
          'NOT_REDRIVEN',
          result.unreadable
            ? `job ${form.jobId} holds no commit, so it cannot be re-driven: it stays failed; discard it with commitlog discard --job ${form.jobId}`
            : result.jobGone
              ? `job ${form.jobId} is gone from Redis, but its id is still in lane ${form.lane}'s failed deliveries (which count it): there is nothing to re-drive; remove the id with commitlog discard --job ${form.jobId}`
              : `job ${form.jobId} is not a failed delivery in lane ${form.lane} (re-driven by someone else, removed after FAILED_RETENTION, or in another lane): nothing was moved`,
        );
        return;
      }
      if (wantsJson(req)) {
        res.json(result);
        return;
      }
      res.setHeader('Set-Cookie', redriveNoticeCookie(result, deps.secureCookie));
      res.redirect(303, '/deliveries');
    },
  };
}
