/**
 * Runs commitlog's processes for end-to-end tests and benchmarks: an ingest and any number of workers, each a
 * real `node apps/<role>/src/main.ts` process configured through its environment, against a Redis
 * and Kafka of the test's choosing, under a queue prefix of the test's own.
 */
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { deleteKeysMatching, createRedisConnection } from '@commitlog/queue';
import { ROLE_NODE_ARGS, roleProcessEnv } from '@commitlog/runtime';
import { freePort } from './free-port.ts';
import { testKafkaBrokers, testKafkaClient, testRedisUrl } from './test-env.ts';
import { uniqueName } from './unique-name.ts';
import { waitFor } from './wait-for.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** How long `stop()` waits after SIGTERM before it kills the process. */
const STOP_GRACE_MS = 20_000;

export interface RoleProcess {
  pid: number;
  port: number;
  /** Everything the process printed so far (its JSON log lines), for diagnostics. */
  output(): string;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface PostResult {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface SystemOptions {
  redisUrl?: string;
  /**
   * For a `rediss://` redisUrl: the CA file every process trusts (REDIS_TLS_CA_FILE) and the
   * client certificate it presents (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE); the system's own
   * connection (which clears the test's keys) uses them too.
   */
  redisTls?: { caFile: string; certFile?: string; keyFile?: string };
  kafkaBrokers?: string[];
  /** Extra environment for every process (e.g. COMMIT_TTL, LANES, ROUTES_FILE). */
  env?: Record<string, string>;
  /** Extra environment for the ingest only (e.g. a REDIS_URL through a fault proxy). */
  ingestEnv?: Record<string, string>;
  /**
   * The ingest's certificate and key (INGEST_TLS_CERT_FILE, INGEST_TLS_KEY_FILE): it then serves
   * HTTPS only, `ingestUrl` is https://, and its health is read on its ops port. `post` needs the
   * test process to trust the certificate's CA, which it does not: post with a client of its own.
   */
  ingestTls?: { certFile: string; keyFile: string };
  /** Extra environment for the workers only (e.g. KAFKA_BROKERS through a fault proxy). */
  workerEnv?: Record<string, string>;
  workers?: number;
}

export interface RunningSystem {
  prefix: string;
  secret: string;
  ingestUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  /** The ingest process now running (a new one after `restartIngest`). */
  readonly ingest: RoleProcess;
  workers: RoleProcess[];
  /** Starts one more worker; `env` adds to (or overrides) the workers' environment for it alone. */
  startWorker(env?: Record<string, string>): Promise<RoleProcess>;
  /**
   * Starts a new ingest on the same port once the current one has exited (killed by the test),
   * and waits until it answers.
   */
  restartIngest(): Promise<RoleProcess>;
  post(
    commit: unknown,
    options?: { path?: string; headers?: Record<string, string> },
  ): Promise<PostResult>;
  /** Stops every process (SIGTERM) and deletes the test's queue keys. */
  stop(): Promise<void>;
}

function startRole(role: 'ingest' | 'worker', env: NodeJS.ProcessEnv, port: number): RoleProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    // The same Node settings as `commitlog <role>` (heap sizing), so that tests and the
    // benchmark run and measure what production runs.
    [...ROLE_NODE_ARGS, `apps/${role}/src/main.ts`],
    { cwd: root, env: roleProcessEnv(role, env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    pid: child.pid ?? -1,
    port,
    output: () => output,
    signal: (signal) => child.kill(signal),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGCONT first: a process a fault test paused would never see the SIGTERM.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        // A stop always ends, even when a graceful stop hangs (the test may have broken Redis).
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        void exited.finally(() => clearTimeout(timer));
      }
      return exited;
    },
  };
}

async function healthy(role: RoleProcess, name: string, port = role.port): Promise<void> {
  // A flag, not a race against a resolved promise (which always wins, exited or not): a role
  // that dies at start-up is reported at once, with its output, rather than after the time-out.
  let exited = false;
  const mark = (): void => void (exited = true);
  void role.exited.then(mark, mark);
  const outcome = await waitFor(
    async () => {
      if (exited) return 'exited';
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok === true ? 'healthy' : undefined;
    },
    { timeoutMs: 60_000, description: `${name} /healthz`, intervalMs: 100 },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${role.output()}`);
  });
  if (outcome === 'exited') throw new Error(`${name} exited during start-up:\n${role.output()}`);
}

function redisTlsEnv(tls: SystemOptions['redisTls']): Record<string, string> {
  if (!tls) return {};
  return {
    REDIS_TLS_CA_FILE: tls.caFile,
    ...(tls.certFile === undefined ? {} : { REDIS_TLS_CERT_FILE: tls.certFile }),
    ...(tls.keyFile === undefined ? {} : { REDIS_TLS_KEY_FILE: tls.keyFile }),
  };
}

function redisTlsFiles(tls: SystemOptions['redisTls']): {
  tlsCa?: string;
  tlsClient?: { cert: string; key: string };
} {
  if (!tls) return {};
  const read = (file: string) => readFileSync(file, 'utf8');
  return {
    tlsCa: read(tls.caFile),
    ...(tls.certFile && tls.keyFile
      ? { tlsClient: { cert: read(tls.certFile), key: read(tls.keyFile) } }
      : {}),
  };
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const prefix = uniqueName('e2e');
  const secret = `e2e-secret-${uniqueName('s')}-0123456789abcdef`;
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const kafkaBrokers = options.kafkaBrokers ?? testKafkaBrokers();
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_URL: redisUrl,
    ...redisTlsEnv(options.redisTls),
    KAFKA_BROKERS: kafkaBrokers.join(','),
    QUEUE_PREFIX: prefix,
    INGEST_SECRETS: secret,
    LANES: '8',
    LOG_LEVEL: 'warn',
    // Shorter than production (200ms, 60s, 30s) so that scenarios which wait for a retry or for a
    // dead worker's lock to expire finish in seconds; the behaviour is the same, only faster.
    RETRY_BASE: '50ms',
    RETRY_MAX: '1s',
    WORKER_LOCK: '4s',
    ...(testKafkaClient() === undefined ? {} : { KAFKA_CLIENT: testKafkaClient() }),
    ...options.env,
  };

  const ingestPort = await freePort();
  const ingestOpsPort = await freePort();
  const ingestEnv = {
    ...base,
    ...options.ingestEnv,
    ...(options.ingestTls
      ? {
          INGEST_TLS_CERT_FILE: options.ingestTls.certFile,
          INGEST_TLS_KEY_FILE: options.ingestTls.keyFile,
        }
      : {}),
    INGEST_PORT: String(ingestPort),
    INGEST_OPS_PORT: String(ingestOpsPort),
  };
  // Plain HTTP on the ops port, whatever the main port speaks.
  const ingestHealthy = (role: RoleProcess): Promise<void> =>
    healthy(role, 'ingest', ingestOpsPort);
  let ingest = startRole('ingest', ingestEnv, ingestPort);
  const workers: RoleProcess[] = [];
  const startWorker = async (env: Record<string, string> = {}): Promise<RoleProcess> => {
    const port = await freePort();
    const worker = startRole(
      'worker',
      { ...base, ...options.workerEnv, ...env, WORKER_PORT: String(port) },
      port,
    );
    workers.push(worker);
    await healthy(worker, `worker ${workers.length}`);
    return worker;
  };
  try {
    await ingestHealthy(ingest);
    for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
  } catch (error) {
    await Promise.all([ingest, ...workers].map((p) => p.stop()));
    throw error;
  }
  const ingestUrl = `${options.ingestTls ? 'https' : 'http'}://127.0.0.1:${ingestPort}`;

  return {
    prefix,
    secret,
    ingestUrl,
    redisUrl,
    kafkaBrokers,
    get ingest() {
      return ingest;
    },
    workers,
    startWorker,
    async restartIngest() {
      await ingest.exited;
      ingest = startRole('ingest', ingestEnv, ingestPort);
      await ingestHealthy(ingest);
      return ingest;
    },
    async post(commit, postOptions = {}) {
      const body = Buffer.from(JSON.stringify(commit));
      const response = await fetch(`${ingestUrl}${postOptions.path ?? '/v1/commits'}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signRequest(secret, body, Date.now() / 1000),
          ...postOptions.headers,
        },
        body,
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Keep the text.
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async stop() {
      await Promise.all([ingest, ...workers].map((p) => p.stop()));
      const redis = createRedisConnection({
        url: redisUrl,
        role: 'worker',
        onError: () => {},
        ...redisTlsFiles(options.redisTls),
      });
      try {
        await deleteKeysMatching(redis, `${prefix}:*`);
      } finally {
        redis.disconnect();
      }
    },
  };
}
