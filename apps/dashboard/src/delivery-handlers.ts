import { lanesToCover } from '@commitlog/queue';
import type { DeliveryOverview, RedriveFilter, RedriveResult } from '@commitlog/queue';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { refuse, userOf } from './auth.ts';
import { overviewPage } from './overview-page.ts';

export interface DeliveryHandlerDeps {
  /** This dashboard's LANES: the lanes Bull Board shows. */
  laneCount: number;
  /** The lane count recorded in Redis by the first ingest or worker, if any has run. */
  readRecordedLaneCount(): Promise<number | undefined>;
  /** The overview of lanes 0 to `laneCount - 1`. */
  readOverview(laneCount: number): Promise<DeliveryOverview>;
  /** Re-drives the failed deliveries that match, in `lanes`. */
  redrive(filter: RedriveFilter, lanes: number[]): Promise<RedriveResult>;
  audit(event: string, detail: Record<string, unknown>): void;
}

/** A re-drive request: one delivery (`jobId` and its `lane`) or every one of a `reason`. */
const redriveForm = z.union([
  z.strictObject({
    _csrf: z.string().optional(), // checked before, with the X-CSRF-Token header
    jobId: z.string().min(1).max(200),
    lane: z.coerce.number().int().min(0),
  }),
  z.strictObject({
    _csrf: z.string().optional(),
    // Matched exactly against the failures' reasons, which may be any text (`unknown`, …).
    reason: z.string().min(1, 'must be a failure reason such as expired').max(200),
  }),
]);

/** The message after a re-drive, from its counts only (a link cannot make the page say anything else). */
function redriveNotice(redriven: unknown, skipped: unknown): string | undefined {
  const count = (v: unknown) =>
    typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
  const [n, s] = [count(redriven), count(skipped) ?? 0];
  if (n === undefined) return undefined;
  if (n === 0 && s === 0) {
    return (
      'Nothing was re-driven: no failed delivery matched. Another admin or `commitlog redrive` ' +
      'may have re-driven it already, or FAILED_RETENTION removed it.'
    );
  }
  return (
    `Re-drove ${n} ${n === 1 ? 'delivery' : 'deliveries'}` +
    (s > 0 ? `; ${s} had already moved` : '') +
    '. They are back at the end of their lanes with a fresh TTL.'
  );
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
      const notice = redriveNotice(req.query.redriven, req.query.skipped);
      const { count, recorded } = await lanesInUse();
      const overview = await deps.readOverview(count);
      res.setHeader('Cache-Control', 'no-store');
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

    redrive: async (req: Request, res: Response): Promise<void> => {
      const parsed = redriveForm.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || 'body';
        refuse(
          req,
          res,
          400,
          'invalid-request',
          `${field}: ${issue?.message ?? 'invalid'}; send jobId and lane, or reason`,
        );
        return;
      }
      const form = parsed.data;
      const { count } = await lanesInUse();
      if ('lane' in form && form.lane >= count) {
        refuse(req, res, 400, 'invalid-request', `lane: must be below the lane count (${count})`);
        return;
      }
      const result =
        'jobId' in form
          ? await deps.redrive({ jobId: form.jobId }, [form.lane])
          : await deps.redrive(
              { reason: form.reason },
              Array.from({ length: count }, (_, lane) => lane),
            );
      const what =
        'jobId' in form ? { jobId: form.jobId, lane: form.lane } : { reason: form.reason };
      deps.audit('re-drove', { user: userOf(res)!.name, ...what, ...result });
      if (wantsJson(req)) {
        res.json(result);
        return;
      }
      res.redirect(303, `/deliveries?redriven=${result.redriven}&skipped=${result.skipped}`);
    },
  };
}
