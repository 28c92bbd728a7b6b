import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

const main = fileURLToPath(new URL('./hanging-lane-worker-main.ts', import.meta.url));

export interface HangingLaneWorkerOptions {
  redisUrl: string;
  prefix: string;
  lane: number;
  /** The name BullMQ and the stall records give it, e.g. `doomed-pod:42`. */
  workerName: string;
  /** Its lock: the job stalls about this long after the process dies. */
  lockMs: number;
}

/** A lane worker process that takes jobs and never finishes them, to be killed: a real stall. */
export interface HangingLaneWorker {
  /** Resolves once it holds the job `jobId` and its name as the job's holder is in Redis. */
  taken(jobId: string, timeoutMs?: number): Promise<void>;
  /** SIGKILL, as an OOM kill or a lost node does it; resolves once the process is gone. */
  kill(): Promise<void>;
}

export function startHangingLaneWorker(options: HangingLaneWorkerOptions): HangingLaneWorker {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      LANE: String(options.lane),
      WORKER_NAME: options.workerName,
      LOCK_MS: String(options.lockMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  return {
    taken: (jobId, timeoutMs = 15_000) =>
      waitFor(() => output.includes(`taken ${jobId}\n`), {
        timeoutMs,
        description: `the hanging worker to take ${jobId}`,
      }).then(() => undefined),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
