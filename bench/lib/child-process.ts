/**
 * The benchmark's helper processes (baselines), each a `node` script that prints one JSON line
 * `{"ready": true, ...}` when it can take work, then JSON result lines. Every child is registered
 * so that the run stops it on the way out, even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const running = new Set<BenchChild>();

export interface BenchChild {
  pid: number;
  /** The fields of the ready line (e.g. `port`). */
  ready: Record<string, unknown>;
  /** Every JSON line printed after the ready line. */
  lines(): Record<string, unknown>[];
  /** Resolves with the next JSON line that has `field`. */
  waitFor(field: string, timeoutMs: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

class ChildError extends Error {
  readonly code = 'BENCH_CHILD_FAILED';
}

export async function startChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<BenchChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=TimeoutNegativeWarning', `bench/${script}`, ...args],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        for (const l of listeners) l();
      } catch {
        // Not ours (a library's warning): kept in the output only.
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    for (const l of listeners) l();
  });

  const waitFor = (field: string, ms: number): Promise<Record<string, unknown>> => {
    const seen = lines.length;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.slice(seen).find((l) => field in l);
        if (found) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null) {
          done(() => reject(new ChildError(`bench/${script} exited:\n${output.slice(-3000)}`)));
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new ChildError(
                `bench/${script}: no "${field}" line in ${ms} ms:\n${output.slice(-3000)}`,
              ),
            ),
          ),
        ms,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  };

  const handle: BenchChild = {
    pid: child.pid ?? -1,
    ready: {},
    lines: () => lines,
    waitFor,
    async stop() {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  try {
    handle.ready = await waitFor('ready', timeoutMs);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** Stops every child still running (the run's `finally`). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}
