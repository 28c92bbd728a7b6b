/**
 * The BullMQ queue name of a lane. The braces are a Redis Cluster hash tag: every key of one lane
 * hashes to the same slot (BullMQ's scripts need that), and different lanes spread over shards.
 */
export function laneQueueName(lane: number): string {
  if (!Number.isInteger(lane) || lane < 0) throw new RangeError(`invalid lane ${lane}`);
  return `{lane-${String(lane).padStart(4, '0')}}`;
}

/** The lane number of a lane queue name, or undefined for any other name. */
export function laneOfQueueName(name: string): number | undefined {
  const match = /^\{lane-(\d{4,})\}$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
