import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { auditedRedrive } from './audited-redrive.ts';
import { parseRedriveForm } from './delivery-handlers.ts';

describe('the re-drive form', () => {
  it('takes one delivery (jobId and lane, as text or a number) or a reason', () => {
    expect(parseRedriveForm({ _csrf: 't', jobId: 'c-1', lane: '3' })).toEqual({
      ok: true,
      form: { jobId: 'c-1', lane: 3 },
    });
    expect(parseRedriveForm({ jobId: 'c-1', lane: 0 })).toEqual({
      ok: true,
      form: { jobId: 'c-1', lane: 0 },
    });
    expect(parseRedriveForm({ reason: 'expired' })).toEqual({
      ok: true,
      form: { reason: 'expired' },
    });
  });

  it('names the field and the reason of a bad request', () => {
    const refused = (body: unknown) => {
      const parsed = parseRedriveForm(body);
      return parsed.ok ? 'accepted' : parsed.message;
    };
    // An empty lane field is no lane 0: the job would be looked for in the wrong lane.
    expect(refused({ jobId: 'c-1', lane: '' })).toBe('lane: must be a lane number such as 3');
    expect(refused({ jobId: 'c-1', lane: ' ' })).toBe('lane: must be a lane number such as 3');
    expect(refused({ jobId: 'c-1', lane: 'abc' })).toBe('lane: must be a lane number such as 3');
    expect(refused({ jobId: 'c-1', lane: '-1' })).toBe('lane: must be a lane number such as 3');
    expect(refused({ jobId: 'c-1' })).toBe('lane: required with jobId');
    expect(refused({ jobId: 'c-1', lane: '1', reason: 'expired' })).toBe(
      'reason: send jobId and lane, or reason, not both',
    );
    expect(refused({ reason: 'expired', lane: '1' })).toBe('lane: only with jobId');
    expect(refused({ reason: '' })).toBe('reason: must be a failure reason such as expired');
    expect(refused({})).toBe('body: send jobId and lane, or reason');
    expect(refused(undefined)).toBe('body: send jobId and lane, or reason');
    expect(refused({ reason: 'expired', extra: 1 })).toBe(
      'extra: not a field of a re-drive (send jobId and lane, or reason)',
    );
  });
});

describe('an audited re-drive', () => {
  /** Serves one re-drive whose outcome `run` decides; what was audited, and the answer. */
  async function serve(run: () => Promise<RedriveResult>) {
    const audited: Record<string, unknown>[] = [];
    const app = express();
    app.post('/redrive', (req, res, next) => {
      auditedRedrive(req, res, run, (outcome) => audited.push({ ...outcome }))
        .then((result) => {
          if (result) res.json(result);
        })
        .catch(next);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/redrive`, {
        method: 'POST',
        headers: { accept: 'application/json' },
      });
      return { audited, status: answer.status, body: await answer.json() };
    } finally {
      server.close();
    }
  }

  it('audits what it moved', async () => {
    const served = await serve(() => Promise.resolve({ redriven: 4, skipped: 1 }));
    expect(served.audited).toEqual([{ redriven: 4, skipped: 1 }]);
    expect(served).toMatchObject({ status: 200, body: { redriven: 4, skipped: 1 } });
  });

  it('audits what it had moved when Redis stopped it, and answers 503 saying so', async () => {
    const stopped = new RedriveInterruptedError(
      { redriven: 5, skipped: 0 },
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
    );
    const served = await serve(() => Promise.reject(stopped));
    expect(served.audited).toEqual([{ redriven: 5, skipped: 0, interrupted: stopped.message }]);
    expect(served.status).toBe(503);
    const { error } = served.body as { error: { code: string; message: string } };
    expect(error.code).toBe('REDRIVE_INTERRUPTED');
    expect(error.message).toMatch(/^the re-drive stopped after 5 re-driven \(WRONGTYPE/);
  });
});
