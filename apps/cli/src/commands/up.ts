import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  type ConfigProblem,
  hashPassword,
  loadDashboardConfig,
  loadIngestConfig,
  loadWorkerConfig,
  roleHeapLimitBytes,
} from '@commitlog/runtime';
import { CliError } from '../cli-error.ts';
import { configuredSecrets, keepSecret, newSecret, readKeptSecret } from '../local-secret.ts';
import { openRoleLogs, waitHealthy } from '../role-logs.ts';
import { filesFromCaller, spawnRole, type Role } from '../role-process.ts';
import { readyLines } from './up-summary.ts';

export interface UpOptions {
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  /** Resolves when `up` should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<unknown>;
}

function runScript(script: string, options: UpOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, 'up'], {
      cwd: options.repoRoot,
      env: options.env,
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new CliError('INFRA_FAILED', `${script} up failed (${signal ?? `exit ${code}`})`));
    });
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The first SIGINT or SIGTERM. Later ones are said and otherwise ignored: with no listener left, a
 * second Ctrl-C while the roles stop killed `up` and left them stopping on their own, their logs
 * piped into nothing and the prompt back while they still held their ports.
 */
function untilSignal(out: (line: string) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first === undefined) {
        first = signal;
        resolve(signal);
      } else {
        out(`up: ${signal}: already stopping the roles`);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Where this machine reaches a role that listens on `host`: a wildcard address is reached on
 * loopback.
 */
function reachable({ host, port }: { host: string; port: number }): string {
  const name = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

const LOCAL_ADMIN = 'admin';
const LOCAL_ADMIN_PASSWORD_FILE = 'dashboard-admin-password';

/**
 * What a local `up` adds to the roles' environment: INGEST_SECRETS, DASHBOARD_SESSION_SECRET and
 * DASHBOARD_USERS where they are not set, from secrets kept in `.data/` (git-ignored, mode 600)
 * or made now. Nothing is written: `keep` writes the ones made now, once the configuration is
 * known to be good, so that a bad variable leaves no file behind. A bad INGEST_SECRETS is
 * returned in `problems`, to be reported with every other bad variable rather than alone.
 */
/**
 * KAFKA_BROKERS as `up` gives it to the roles: as set, else the local broker, on KAFKA_PORT when
 * that is set (as kafka.sh asks when 9092 is taken): the roles' default, 127.0.0.1:9092, is then
 * what something else holds. Undefined leaves the roles' default.
 */
export function kafkaBrokersForRoles(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KAFKA_BROKERS) return env.KAFKA_BROKERS;
  return env.KAFKA_PORT ? `${env.KAFKA_HOST || '127.0.0.1'}:${env.KAFKA_PORT}` : undefined;
}

async function localEnv(options: UpOptions): Promise<{
  env: NodeJS.ProcessEnv;
  secrets: string[];
  configured: boolean;
  problems: ConfigProblem[];
  keep: () => void;
}> {
  const made: [name: string, secret: string][] = [];
  // `instead`: the variable that makes the kept file unneeded, for the error of an unreadable one.
  const kept = (name: string, instead: string): string => {
    const secret = readKeptSecret(options.repoRoot, name, instead);
    if (secret !== undefined) return secret;
    const fresh = newSecret();
    made.push([name, fresh]);
    return fresh;
  };
  let configured: string[] | undefined;
  let problems: ConfigProblem[] = [];
  try {
    configured = configuredSecrets(options.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  // A bad value is passed on as it is, for the ingest's check to name it too (once, with the rest).
  const secrets =
    problems.length > 0 ? [] : (configured ?? [kept('ingest-secret', 'INGEST_SECRETS')]);
  // File settings read from where `up` was typed, as the roles will read them (checked below).
  const env: NodeJS.ProcessEnv = {
    ...filesFromCaller(options.env),
    INGEST_SECRETS: problems.length > 0 ? options.env.INGEST_SECRETS : secrets.join(','),
    DASHBOARD_SESSION_SECRET:
      options.env.DASHBOARD_SESSION_SECRET ??
      kept('dashboard-session-secret', 'DASHBOARD_SESSION_SECRET'),
  };
  const brokers = kafkaBrokersForRoles(options.env);
  if (brokers !== undefined) env.KAFKA_BROKERS = brokers;
  if (!options.env.DASHBOARD_USERS) {
    const password = kept(LOCAL_ADMIN_PASSWORD_FILE, 'DASHBOARD_USERS');
    env.DASHBOARD_USERS = `${LOCAL_ADMIN}:admin:${await hashPassword(password)}`;
  }
  return {
    env,
    secrets,
    configured: configured !== undefined,
    problems,
    keep: () => made.forEach(([name, secret]) => keepSecret(options.repoRoot, name, secret)),
  };
}

/**
 * `commitlog up`: the whole system on this machine, in the foreground. Uses REDIS_URL and
 * KAFKA_BROKERS when set, otherwise the local Redis and Kafka broker from infra/; starts the ingest,
 * a worker and the dashboard, waits until each answers, prints where everything is, and stops the roles on
 * Ctrl-C (the infrastructure keeps running; `bash infra/down.sh` stops it).
 */
export async function up(options: UpOptions): Promise<void> {
  const { env, secrets, configured, problems: secretProblems, keep } = await localEnv(options);
  // Each role's configuration, checked before anything starts: a bad variable is then one line
  // that names it, rather than a role that dies once Redis and Kafka are up. Addresses come from
  // it too, read as the roles read them (a blank port is the default).
  const problems = new Map<string, ConfigProblem>();
  const checked = <T>(load: (env: NodeJS.ProcessEnv) => T): T | undefined => {
    try {
      return load(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The roles share most variables: each bad one is named once.
      for (const p of error.problems) problems.set(`${p.variable}: ${p.message}`, p);
      return undefined;
    }
  };
  const worker = checked(loadWorkerConfig);
  // The ingest's heap is the role process's (512 MiB unless NODE_OPTIONS says otherwise), not
  // this one's: its in-flight budget is checked against that.
  const ingestHeap = roleHeapLimitBytes('ingest', env);
  const ingest = checked((e) =>
    loadIngestConfig(e, ingestHeap === undefined ? {} : { heapLimitBytes: ingestHeap }),
  );
  const dashboard = checked(loadDashboardConfig);
  // A bad INGEST_SECRETS is named by the ingest's check, which reads the same value by the same
  // rule; the CLI's own reading of it is added only should that ever not be so.
  for (const p of secretProblems) {
    if (![...problems.values()].some((q) => q.variable === p.variable)) {
      problems.set(`${p.variable}: ${p.message}`, p);
    }
  }
  if (!worker || !ingest || !dashboard || problems.size > 0) {
    throw new ConfigError([...problems.values()]);
  }
  keep();
  const addresses = {
    worker: reachable(worker),
    ingest: reachable(ingest),
    dashboard: reachable(dashboard),
  };
  await runScript('infra/up.sh', options);
  const logDir = join(options.repoRoot, '.data', 'logs');
  mkdirSync(logDir, { recursive: true });
  const roles = ['worker', 'ingest', 'dashboard'] as const;
  const logFds = openRoleLogs(logDir, roles);

  // Listened for before the first role starts: a SIGTERM while they start (a supervisor,
  // `timeout`) must stop them too, not leave them holding their ports.
  const stopSignal = options.stopSignal ?? untilSignal(options.out);
  const stoppedWhileStarting = stopSignal.then((signal) => {
    throw new CliError(
      'STOPPED',
      `stopped by ${String(signal)} while starting; the roles were stopped too`,
    );
  });
  stoppedWhileStarting.catch(() => undefined);
  const children: { role: Role; child: ChildProcess; log: string }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { child } of children) child.kill('SIGTERM');
    await Promise.all(children.map(({ child }) => stopped(child)));
  };
  try {
    for (const role of roles) {
      const log = join(logDir, `${role}.log`);
      const stream = createWriteStream(log, { fd: logFds.get(role) });
      const child = spawnRole(role, {
        repoRoot: options.repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.pipe(stream);
      child.stderr?.pipe(stream);
      // A log that stops taking writes (a full disk) must not stop the role: its output is then
      // read and dropped, or the role would block once its pipe is full.
      stream.once('error', (error: NodeJS.ErrnoException) => {
        options.out(
          `up: cannot write ${log} (${error.code ?? error.message}); the ${role}'s output is dropped`,
        );
        for (const output of [child.stdout, child.stderr]) {
          output?.unpipe(stream);
          output?.resume();
        }
      });
      children.push({ role, child, log });
    }
    for (const { role, child, log } of children) {
      options.out(`up: waiting for the ${role} to answer at ${addresses[role]} (up to 60 s)`);
      await Promise.race([
        waitHealthy(role, addresses[role], child, log, 60_000),
        stoppedWhileStarting,
      ]);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const out = options.out;
  const logOf = (role: Role): string => children.find((c) => c.role === role)!.log;
  const lines = readyLines({
    redisUrl: options.env.REDIS_URL,
    kafka: worker.kafka,
    roles: {
      ingest: {
        address: addresses.ingest,
        opsAddress: reachable({ host: ingest.host, port: ingest.opsPort }),
        log: logOf('ingest'),
      },
      worker: { address: addresses.worker, log: logOf('worker') },
      dashboard: { address: addresses.dashboard, log: logOf('dashboard') },
    },
    dashboardUsers: options.env.DASHBOARD_USERS
      ? { configured: true }
      : {
          configured: false,
          user: LOCAL_ADMIN,
          passwordFile: `.data/${LOCAL_ADMIN_PASSWORD_FILE}`,
        },
    secret: configured
      ? { configured: true }
      : { configured: false, value: secrets[0]!, file: '.data/ingest-secret' },
  });
  for (const line of lines) out(line);

  const exited = Promise.race(children.map(({ role, child }) => stopped(child).then(() => role)));
  const reason = await Promise.race([stopSignal, exited.then((role) => ({ exited: role }))]);
  out('up: stopping ingest, worker and dashboard');
  await stopAll();
  if (typeof reason === 'object' && reason !== null && 'exited' in reason) {
    throw new CliError('ROLE_EXITED', `${String(reason.exited)} stopped unexpectedly; see its log`);
  }
  out('stopped');
}
