/** A commit job of one 1 KiB value, for the tools that store commits with no HTTP in front. */
import type { CommitJobData } from '@commitlog/queue';

const VALUE = Buffer.alloc(1024, 7).toString('base64');

/** Commit `id` in `lane`, of key `k-<n>`. */
export function kibCommit(id: string, lane: number, n: number): CommitJobData {
  return {
    id,
    lane,
    commit: {
      bucketType: 'default',
      bucket: 'bench',
      key: `k-${n}`,
      op: 'put',
      siblings: [{ value: VALUE }],
    },
    receivedAt: new Date().toISOString(),
  };
}
