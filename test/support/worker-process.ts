/**
 * A worker as a process of its own, started with only the environment given (and PATH), its
 * output gathered: for tests of how it starts and stops.
 */
import { freePort } from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  /** Its ops port (WORKER_PORT). */
  port: number;
  output(): string;
  /** Its exit code and signal, once it exited. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  signal(signal: NodeJS.Signals): void;
  /** Its `/readyz` status, or undefined while nothing answers. */
  readiness(): Promise<number | undefined>;
}

export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--disable-warning=TimeoutNegativeWarning', 'apps/worker/src/main.ts'],
    {
      cwd: root,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', WORKER_PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return {
    port,
    output: () => output,
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
    signal: (signal) => void child.kill(signal),
    readiness: async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status,
  };
}
