/**
 * Records that reached a step's topic after the step read it back: a step reads its topic as
 * soon as every accepted commit is there, and a redelivery that comes later (a job whose worker
 * lock ran out, a stalled job after an overloaded step) lands unseen. Counted from the topics'
 * end offsets at the end of the run: every commit was found at the step's read (or counted
 * lost), so each record since is a duplicate.
 */
import type { TopicStampReader } from '@commitlog/kafka';
import type { StepResult } from './results.ts';

export async function lateRecords(
  stamps: Pick<TopicStampReader, 'count'>,
  steps: readonly (StepResult | undefined)[],
): Promise<{ records: number; topics: number }> {
  let records = 0;
  let topics = 0;
  for (const step of steps) {
    if (step?.topic === undefined || step.recordsRead === undefined) continue;
    records += Math.max(0, (await stamps.count([step.topic])) - step.recordsRead);
    topics++;
  }
  return { records, topics };
}
