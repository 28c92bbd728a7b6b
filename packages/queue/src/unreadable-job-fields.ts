import type { Queue } from 'bullmq';
import { commitJobOptions, type CommitJobData } from './commit-job.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * The fields of a job's hash, other than its data, that BullMQ parses as JSON as it hands the job
 * over, and what each is set to when it does not parse: its options as the ingest stores them
 * (`commitJobOptions`), no progress (BullMQ reads none as 0: a retry's progress starts again, its
 * TTL still counted from the commit's acceptance), no parent (commitlog's jobs have none).
 */
const REPAIRS: Readonly<Record<string, (jobId: string) => string | undefined>> = {
  opts: (jobId) => JSON.stringify(commitJobOptions(jobId)),
  progress: () => undefined,
  parent: () => undefined,
};

/**
 * Inputs: KEYS[1] the job's hash; ARGV[1] the token its lock must hold (`''`: no lock may be set,
 * for a job no worker holds), then per field its name, the value that was judged not to parse,
 * and its replacement (`''`: removed). Writes only while the lock is still that and each field is
 * still what was judged. Output: 1 written, 0 not.
 */
const REPAIR = luaScript(`
if (redis.call('GET', KEYS[1] .. ':lock') or '') ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then return 0 end
end
for i = 2, #ARGV, 3 do
  if ARGV[i + 2] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
return 1
`);

/**
 * Sets again the fields of a job, taken under `token` (`''` for one no worker holds, a failed
 * one a re-drive reads), that BullMQ could not parse (a hand edit of Redis): such a job was moved
 * to active and then never handed over, its lock lapsed, the stall check put it back at the front
 * of its lane, and it was taken again, for ever, holding every commit behind it (`TolerantJob`
 * reads unreadable data; these fields are read before it); failed, it stopped every re-drive that
 * reached it. Its data, the commit, stays as it is. Returns the names of the fields set again,
 * none when all parse or the job changed meanwhile.
 */
export async function repairUnreadableFields(
  client: RedisConnection,
  jobKey: string,
  jobId: string,
  token: string,
): Promise<string[]> {
  const names = Object.keys(REPAIRS);
  const values = await client.hmget(jobKey, ...names);
  const broken = names.flatMap((name, i) => {
    const value = values[i];
    if (value === null || value === undefined || parses(name, value)) return [];
    return [{ name, value, repair: REPAIRS[name]!(jobId) ?? '' }];
  });
  if (broken.length === 0) return [];
  const written = await REPAIR.run(
    client,
    [jobKey],
    [token, ...broken.flatMap((b) => [b.name, b.value, b.repair])],
  );
  return written === 1 ? broken.map((b) => b.name) : [];
}

/**
 * As BullMQ reads these fields (`JSON.parse`); its options must also be an object, or at least not
 * null (it lists their entries, which throws on null).
 */
function parses(name: string, text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return name !== 'opts' || value !== null;
  } catch {
    return false;
  }
}

/**
 * A failed job as BullMQ reads it; one whose options, progress or parent do not parse (a hand
 * edit: BullMQ throws as it reads them, which stopped the re-drive there, and every one after it)
 * has them set again (`repairUnreadableFields`, no worker holding it) and is read again. For a
 * re-drive (redrive.ts).
 */
export async function readJobMending(
  connection: RedisConnection,
  queue: Queue<CommitJobData>,
  id: string,
): Promise<Awaited<ReturnType<Queue<CommitJobData>['getJob']>>> {
  try {
    return await queue.getJob(id);
  } catch (error) {
    if (!(error instanceof SyntaxError || error instanceof TypeError)) throw error;
    const mended = await repairUnreadableFields(connection, queue.toKey(id), id, '');
    if (mended.length === 0) throw error;
    return queue.getJob(id);
  }
}
