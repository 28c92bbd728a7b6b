import type { DeliveryOverview, RedriveFilter, RedriveResult } from '@commitlog/queue';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { refuse, userOf } from './auth.ts';
import { overviewPage } from './overview-page.ts';

export interface DeliveryHandlerDeps {
  laneCount: number;
  readOverview(): Promise<DeliveryOverview>;
  /** Re-drives the failed deliveries that match, in `lanes` (all lanes when undefined). */
  redrive(filter: RedriveFilter, lanes: number[] | undefined): Promise<RedriveResult>;
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
  return {
    page: async (req: Request, res: Response): Promise<void> => {
      const notice = redriveNotice(req.query.redriven, req.query.skipped);
      const overview = await deps.readOverview();
      res.setHeader('Cache-Control', 'no-store');
      res
        .type('html')
        .send(overviewPage({ overview, laneCount: deps.laneCount, user: userOf(res)!, notice }));
    },

    json: async (_req: Request, res: Response): Promise<void> => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await deps.readOverview());
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
      if ('lane' in form && form.lane >= deps.laneCount) {
        refuse(req, res, 400, 'invalid-request', `lane: must be below LANES (${deps.laneCount})`);
        return;
      }
      const result =
        'jobId' in form
          ? await deps.redrive({ jobId: form.jobId }, [form.lane])
          : await deps.redrive({ reason: form.reason }, undefined);
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
