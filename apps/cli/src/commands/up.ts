import { spawn } from 'node:child_process';
import { CliError } from '../cli-error.ts';

export interface UpOptions {
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/** Roles that `up` cannot start yet because they are not built; printed so nobody wonders. */
const NOT_BUILT = ['ingest', 'worker', 'dashboard'];

function run(command: string, args: string[], options: UpOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.repoRoot,
      env: options.env,
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new CliError('INFRA_FAILED', `${args.join(' ')} failed (${signal ?? `exit ${code}`})`),
        );
    });
  });
}

/**
 * `commitlog up`: the whole system on this machine. Uses REDIS_URL and KAFKA_BROKERS when set,
 * otherwise starts the local Redis and Kafka broker from infra/ (the script decides which).
 */
export async function up(options: UpOptions): Promise<void> {
  await run('bash', ['infra/up.sh'], options);
  const redisUrl = options.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const brokers = options.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  options.out(`redis     ${redisUrl}`);
  options.out(`kafka     ${brokers}`);
  for (const role of NOT_BUILT) options.out(`${role.padEnd(9)} not built yet`);
  options.out('stop the local infrastructure with: pnpm infra:down');
}
