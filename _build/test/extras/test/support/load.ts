import { putCommit, type RunningSystem } from '@commitlog/testkit';

export interface LoadResult {
  /** Commit ids the ingest answered 202 for. */
  accepted: string[];
  /** Status codes of refused attempts (retried until accepted or the load stopped). */
  refused: number[];
}

/**
 * Posts `total` commits to `bucket` at about `perSecond`, retrying a refused commit (as the hook
 * does) until it is accepted. Bounded: gives up on a commit after `maxTries`.
 */
export async function postLoad(
  system: RunningSystem,
  options: { bucket: string; total: number; perSecond: number; keys?: number; maxTries?: number },
): Promise<LoadResult> {
  const result: LoadResult = { accepted: [], refused: [] };
  const keys = options.keys ?? 50;
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < options.total; n++) {
    const due = started + (n * 1000) / options.perSecond;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const commit = putCommit({ bucket: options.bucket, key: `k${n % keys}`, value: `n${n}` });
    inFlight.push(
      (async () => {
        for (let attempt = 0; attempt < (options.maxTries ?? 200); attempt++) {
          const response = await system.post(commit).catch(() => ({ status: 0, body: undefined }));
          if (response.status === 202) {
            result.accepted.push((response.body as { id: string }).id);
            return;
          }
          result.refused.push(response.status);
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
    );
  }
  await Promise.all(inFlight);
  return result;
}
