import { laneOfQueueName, laneQueueName } from '@commitlog/queue';

/** Lanes per group in Bull Board's menu, so that hundreds of lanes make a short list. */
export const LANES_PER_GROUP = 16;

/**
 * The group label that prefixes a lane's name in Bull Board (`lanes 0-15/`); Bull Board groups
 * queue names by the `/` delimiter.
 */
export function laneGroupPrefix(lane: number, laneCount: number): string {
  const first = lane - (lane % LANES_PER_GROUP);
  const last = Math.min(first + LANES_PER_GROUP, laneCount) - 1;
  return `lanes ${first}-${last}/`;
}

/** A lane's queue name as Bull Board knows it: `lanes 0-15/{lane-0007}`. */
export function laneBoardName(lane: number, laneCount: number): string {
  return laneGroupPrefix(lane, laneCount) + laneQueueName(lane);
}

/**
 * The lane of a queue name as Bull Board knows it, if it is exactly the name of one of its
 * `laneCount` lanes: not a lane past them (Bull Board has no such queue), nor a number too long
 * to be one.
 */
export function laneOfBoardName(name: string, laneCount: number): number | undefined {
  const lane = laneOfQueueName(name.slice(name.lastIndexOf('/') + 1));
  if (lane === undefined || !Number.isSafeInteger(lane) || lane >= laneCount) return undefined;
  return name === laneBoardName(lane, laneCount) ? lane : undefined;
}

/** Bull Board's page of a job, under the board's base path. */
export function boardJobPath(basePath: string, boardName: string, jobId: string): string {
  return `${basePath}/queue/${encodeURIComponent(boardName)}/${encodeURIComponent(jobId)}`;
}
