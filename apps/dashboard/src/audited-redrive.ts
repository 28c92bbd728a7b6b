import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import type { Request, Response } from 'express';
import { refuse } from './auth.ts';

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
    refuse(req, res, 503, 'redrive-interrupted', error.message);
    return undefined;
  }
}
