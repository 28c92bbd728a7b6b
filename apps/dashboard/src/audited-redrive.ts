import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import type { Request, Response } from 'express';
import { refuse } from './auth.ts';
import type { RedriveStart } from './redrive-runner.ts';

/**
 * Runs a re-drive and audits it, also when Redis stops it part-way: what it had moved stays
 * moved, and the audit log must say who moved it. A stopped re-drive is answered 503 with how
 * many it moved (running it again moves the rest); undefined is returned then.
 */
export async function auditedRedrive(
  req: Request,
  res: Response,
  run: () => Promise<RedriveResult>,
  audit: (outcome: RedriveResult & { interrupted?: string }) => void,
): Promise<RedriveResult | undefined> {
  try {
    const result = await run();
    audit(result);
    return result;
  } catch (error) {
    if (!(error instanceof RedriveInterruptedError)) throw error;
    audit({ ...error.partial, interrupted: error.message });
    refuse(req, res, 503, 'REDRIVE_INTERRUPTED', error.message);
    return undefined;
  }
}

/**
 * Answers a re-drive of many that did not finish in time to say what it did: 503 when it
 * stopped part-way or could not be put on record (then it did nothing), 409 when another one is
 * running (this one was not started). Returns the
 * start when it is for the caller to answer: finished, or going on past the answer.
 */
export function answerUnlessStopped(
  req: Request,
  res: Response,
  started: RedriveStart,
): Extract<RedriveStart, { state: 'finished' | 'running' }> | undefined {
  if (started.state === 'interrupted') {
    refuse(req, res, 503, 'REDRIVE_INTERRUPTED', started.message);
    return undefined;
  }
  if (started.state === 'unaudited') {
    refuse(
      req,
      res,
      503,
      'AUDIT_UNAVAILABLE',
      `nothing was re-driven: its audit record could not be written to Redis (${started.message})`,
    );
    return undefined;
  }
  if (started.state === 'busy') {
    const { what, by, soFar } = started.run;
    refuse(
      req,
      res,
      409,
      'REDRIVE_RUNNING',
      `a re-drive of ${what} by ${by} is running (${soFar.redriven} re-driven so far): wait for it to end; the Deliveries page follows it`,
    );
    return undefined;
  }
  return started;
}
