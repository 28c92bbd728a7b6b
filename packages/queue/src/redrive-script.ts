import { bullmqScript } from './bullmq-script-source.ts';
import type { RedisConnection } from './redis-connection.ts';
import { REDRIVEN_AT_FIELD } from './redriven-at-field.ts';

/**
 * BullMQ's reprocess of a finished job as it loaded it onto the connection, run as a function
 * inside the re-drive's own script.
 */
export function reprocessSource(connection: RedisConnection): string {
  const { name, lua, numberOfKeys } = bullmqScript(connection, 'reprocessJob:');
  // The keys this file hands it are BullMQ 6.7's; another layout must fail here, not misfile jobs.
  if (numberOfKeys !== 9) {
    throw new Error(`BullMQ's ${name} takes ${numberOfKeys} keys, not the 9 of BullMQ 6.7`);
  }
  return lua;
}

/**
 * Moves one failed job back to its lane with its re-driven data, in one script: only while it is
 * still in the failed set with the failure the filter matched (`finishedOn`, ARGV[3]), it is
 * moved by BullMQ's own reprocess (the failure's fields dropped, the job pushed on the lane's wait
 * list, its `waiting` event), then given its re-driven data, and its retry progress and BullMQ's
 * count of its stalls (`stc`) are cleared: a re-driven commit starts afresh, and a stall before
 * its re-drive must not cost it its try at its new TTL (deliver-commit.ts). In two calls, a
 * connection lost between them left a job still failed but rewritten (a re-drive time for a
 * delivery never re-driven, its retry record gone).
 * Two re-drives of one job (a double click, the CLI beside the dashboard) both read it as failed;
 * the one that comes second finds it gone from the failed set, so it neither resets the progress,
 * nor the TTL, of a delivery the first has handed back to a worker, nor re-drives the failure
 * that followed (a `--older-than 1d` does not take a commit another re-drive sent back and that
 * failed again seconds ago).
 * A job out of the failed set that holds this re-drive's data (its `redrivenAt` is this
 * re-drive's) was moved by this call: a connection lost before the reply came makes ioredis send
 * the script again, and the report must count the job re-driven, not skipped.
 *
 * KEYS[1] the lane's failed set, KEYS[2] the job's hash, KEYS[3..9] BullMQ's events stream, wait
 * list, meta hash, active list, marker, prioritized set and priority counter of the lane; ARGV[1]
 * the job's id, ARGV[2] its re-driven data, ARGV[3] the `finishedOn` of the failure matched,
 * ARGV[4] the data's `redrivenAt`, also written apart (`REDRIVEN_AT_FIELD`) for the lane's head
 * to be aged without a read of the data.
 * Output: 1 moved (now or by this same call before), 0 not (moved or changed by someone else
 * first).
 */
export function redriveScriptSource(reprocess: string): string {
  return `
local function bullmqReprocess(KEYS, ARGV)
${reprocess}
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if redis.call('HGET', KEYS[2], 'data') == ARGV[2] then return 1 end
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[2], 'finishedOn')) ~= tonumber(ARGV[3]) then return 0 end
local moved = bullmqReprocess(
  { KEYS[2], KEYS[3], KEYS[1], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9] },
  { ARGV[1], 'LPUSH', 'failedReason', 'failed', '0', '0' })
if moved ~= 1 then
  return redis.error_reply('BullMQ refused the re-drive of ' .. ARGV[1] .. ': ' .. tostring(moved))
end
redis.call('HSET', KEYS[2], 'data', ARGV[2], '${REDRIVEN_AT_FIELD}', ARGV[4],
  'progress', '{}', 'stc', 0)
return 1
`;
}
