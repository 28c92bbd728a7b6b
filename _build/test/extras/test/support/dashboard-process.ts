/** The dashboard as a process of its own, as `commitlog dashboard` or a pod runs it. */
import { hashPassword } from '@commitlog/runtime';
import { freePort, waitFor } from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface DashboardUserSpec {
  name: string;
  role: 'viewer' | 'admin';
  password: string;
}

export interface DashboardProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startDashboardProcess(options: {
  redisUrl: string;
  prefix: string;
  lanes: number;
  users: DashboardUserSpec[];
}): Promise<DashboardProcess> {
  const entries = await Promise.all(
    options.users.map(async (u) => `${u.name}:${u.role}:${await hashPassword(u.password)}`),
  );
  const [port, opsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['apps/dashboard/src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      LANES: String(options.lanes),
      DASHBOARD_PORT: String(port),
      DASHBOARD_OPS_PORT: String(opsPort),
      DASHBOARD_USERS: entries.join(','),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the dashboard exited:\n${output}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
    },
    { timeoutMs: 30_000, description: 'the dashboard /healthz' },
  );
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
