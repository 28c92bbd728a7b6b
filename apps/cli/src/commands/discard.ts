import { discardUnreadable, DiscardRefusedError } from '@commitlog/queue';
import { loadCliConfig } from '@commitlog/runtime';
import { auditedCliAction, cliOperator } from '../cli-audit.ts';
import { CliError } from '../cli-error.ts';
import { connectCliRedis } from '../cli-redis.ts';
import { recordedLanes } from '../recorded-lanes.ts';

/** `discard`'s one argument, `--job ID` (or `--job=ID`). */
export function parseDiscardArgs(args: readonly string[]): string {
  const [first = '', second] = args;
  const id =
    args.length === 1 && first.startsWith('--job=')
      ? first.slice('--job='.length)
      : args.length === 2 && first === '--job'
        ? second
        : undefined;
  if (id === undefined || id === '' || id.startsWith('--')) {
    throw new CliError(
      'USAGE',
      'discard: takes --job ID, the id of one failed delivery, and nothing else',
      2,
    );
  }
  return id;
}

export interface DiscardOptions {
  args: readonly string[];
  /** REDIS_URL, QUEUE_PREFIX and LANES (read with the count recorded in Redis) come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  /** A warning line (an audit record that could not be written). */
  err: (line: string) => void;
}

/**
 * `commitlog discard --job ID`: removes a failed delivery whose job holds no commit, which a
 * re-drive leaves failed and names, or an id of a lane's failed set whose job is gone (counted as
 * failed, by `status` and the failed gauge, with nothing to re-drive), which a re-drive names too.
 * One holding a commit is refused (re-drive it): no commit is lost by this command.
 */
export async function discard(options: DiscardOptions): Promise<void> {
  const jobId = parseDiscardArgs(options.args);
  const config = loadCliConfig(options.env);
  const redis = await connectCliRedis(config);
  try {
    const lanes = await recordedLanes(redis, config, 'discard');
    const removed = await auditedCliAction({
      redis,
      prefix: config.queuePrefix,
      by: cliOperator(options.env),
      action: 'discard',
      asked: { jobId },
      err: options.err,
      run: async () => {
        let jobGone = false;
        const lane = await discardUnreadable(redis, config.queuePrefix, lanes, jobId, () => {
          jobGone = true;
        }).catch((error: unknown) => {
          if (error instanceof DiscardRefusedError) {
            throw new CliError('DISCARD_REFUSED', `discard: ${error.message}`);
          }
          throw error;
        });
        return lane === undefined ? undefined : { lane, jobGone };
      },
      outcome: (done) =>
        done === undefined
          ? { removed: false }
          : { removed: true, lane: done.lane, ...(done.jobGone ? { jobGone: true } : {}) },
    });
    if (removed === undefined) {
      throw new CliError('NOT_FOUND', `discard: no lane holds a job with the id ${jobId}`);
    }
    options.out(
      removed.jobGone
        ? `discard: removed the id ${jobId} from the failed deliveries of lane ${removed.lane}: its job was already gone from Redis (no commit was there to lose)`
        : `discard: removed failed job ${jobId} of lane ${removed.lane} (it held no commit; its data went with it)`,
    );
  } finally {
    redis.disconnect();
  }
}
