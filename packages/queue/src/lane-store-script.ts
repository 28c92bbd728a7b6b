import { Job, type Queue } from 'bullmq';
import { ACCEPT_SEQUENCE_FIELD, ACCEPT_SEQUENCE_KEY } from './accept-sequence.ts';
import { DELIVERED_MARK } from './delivered-mark-names.ts';
import type { LaneStoreJob } from './lane-store.ts';

/**
 * A lane's share of one store, in one script and one round trip: is each commit stored or
 * delivered already, has the lane room, and the adds themselves, by BullMQ's own add script
 * (its source as BullMQ loaded it onto the connection, run as a function inside this one, with
 * the arguments BullMQ builds for it). Apart, these were a look-up and then an add, two round
 * trips each waiting for the other before the commit could reach its lane, with room between
 * them for another ingest's add of the same commit.
 *
 * KEYS[1..9] BullMQ's keys for the add (the lane's wait list first); on one Redis also KEYS[10]
 * the lane count and KEYS[11] its fence (on a Redis Cluster they live on another node and are
 * read apart). ARGV[1] the prefix of the lane's job keys, ARGV[2] most waiting commits,
 * ARGV[3] the count the store expects ('' to read none), then for each commit its id and
 * BullMQ's three arguments. Output: `{ 'lanes', count }` or `{ 'changing', fence }` with
 * nothing stored, else `{ 'stored', backlog, outcome... }` with an outcome per commit. Each
 * commit added gets its number in the lane's count of stores (accept-sequence.ts).
 * Declared with a shebang so that a Redis at its maxmemory refuses it whole, before it stores
 * any of its commits.
 */
export function storeScriptSource(bullmqAdd: string): string {
  return `#!lua
local function bullmqAdd(KEYS, ARGV)
${bullmqAdd}
end
if ARGV[3] ~= '' then
  local fence = redis.call('GET', KEYS[11])
  if fence then return { 'changing', fence } end
  local count = redis.call('GET', KEYS[10])
  if count and count ~= ARGV[3] then return { 'lanes', count } end
end
local addKeys = { KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9] }
local backlog = redis.call('LLEN', KEYS[1])
local room = tonumber(ARGV[2]) - backlog
local out = { 'stored', backlog }
local added = {}
-- The lane's count moves once a script, not once a commit.
local function number()
  if #added == 0 then return end
  local first = redis.call('INCRBY', ARGV[1] .. '${ACCEPT_SEQUENCE_KEY}', #added) - #added
  for n, id in ipairs(added) do
    redis.call('HSET', ARGV[1] .. id, '${ACCEPT_SEQUENCE_FIELD}', first + n)
  end
end
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. id, ARGV[1] .. '${DELIVERED_MARK}' .. id) > 0 then
    out[#out + 1] = 'duplicate'
  elseif room < 1 then
    out[#out + 1] = 'full'
  else
    local result = bullmqAdd(addKeys, { ARGV[i + 1], ARGV[i + 2], ARGV[i + 3] })
    if type(result) == 'number' and result < 0 then
      number()
      return redis.error_reply('BullMQ refused the add of ' .. id .. ': ' .. result)
    end
    room = room - 1
    added[#added + 1] = id
    out[#out + 1] = 'added'
  end
end
number()
return out
`;
}

/** The part of BullMQ's queue backend (6.7) that builds an add's arguments. */
interface AddBuilder {
  addJobToTransaction(
    client: { runCommand(name: string, args: unknown[]): Promise<unknown> },
    job: unknown,
    jobId: string,
  ): Promise<unknown>;
}

/**
 * BullMQ's add of `job`: the name of the script it runs (with BullMQ's version) and its
 * arguments (9 keys, then 3 values), asked of BullMQ with a client that keeps them instead of
 * sending them, so that the stored job is the one BullMQ would store.
 */
export function bullmqAdd(queue: Queue, job: LaneStoreJob): { script: string; args: unknown[] } {
  const bullJob = new Job(queue, 'commit', job.data, job.opts, job.opts.jobId);
  let kept: { script: string; args: unknown[] } | undefined;
  const keeper = {
    runCommand(script: string, args: unknown[]): Promise<unknown> {
      kept = { script, args };
      return Promise.resolve(job.opts.jobId);
    },
  };
  const backend = (queue as unknown as { backend: AddBuilder }).backend;
  void backend.addJobToTransaction(keeper, bullJob.asJSON(), job.opts.jobId).catch(() => undefined);
  if (!kept?.script.startsWith('addStandardJob:') || kept.args.length !== 12) {
    throw new Error("BullMQ's add did not give its standard add script's 12 arguments at once");
  }
  return kept;
}
