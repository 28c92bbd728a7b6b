import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

const KAFKA_SH = fileURLToPath(new URL('../../../infra/kafka/kafka.sh', import.meta.url));

/**
 * A Kafka broker of the test's own (the same jars and script as the shared one, on free ports and
 * a temporary data dir), which the test may stop, start and kill without disturbing other tests.
 */
export interface PrivateKafka {
  brokers: string[];
  /** The temporary data dir (removed by `cleanup`). */
  dataDir: string;
  /** Runs one of Kafka's own tools (`kafka.sh run <main class> ...`), e.g. to add SCRAM users. */
  runTool(mainClass: string, args: readonly string[]): Promise<void>;
  /** Starts the broker (again) and waits until it answers. */
  start(): Promise<void>;
  /** Controlled shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: the broker hangs (its connections stay open, nothing answers). */
  pause(): Promise<void>;
  /** SIGCONT after `pause`. */
  resume(): Promise<void>;
  cleanup(): Promise<void>;
}

function kafkaSh(command: string | readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const args = typeof command === 'string' ? [command] : command;
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn('bash', [KAFKA_SH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`kafka.sh ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

export async function startPrivateKafka(
  options: {
    /** Whether the broker creates topics on first use. Default true, as the shared broker. */
    autoCreateTopics?: boolean;
    /**
     * The port the broker advertises to clients instead of its own, so that every client
     * connection goes through a proxy listening there (and forwarding to `listenPort`).
     */
    advertisedPort?: number;
    /** The port the broker listens on. Default: a free one. */
    listenPort?: number;
    /**
     * Broker settings appended to the generated server.properties, overriding the template's
     * (`KAFKA_EXTRA_PROPERTIES` of kafka.sh); given the broker's ports, e.g. to add a listener.
     */
    extraProperties?: (ports: { port: number; controllerPort: number }) => string;
  } = {},
): Promise<PrivateKafka> {
  const port = options.listenPort ?? (await freePort());
  const controllerPort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'commitlog-kafka-'));
  // The test process that owns the broker: infra/down.sh stops a broker left here only once it
  // is gone (a run cut short), never one a running test still uses.
  await writeFile(join(dataDir, 'owner.pid'), String(process.pid));
  let extraFile: string | undefined;
  if (options.extraProperties) {
    extraFile = join(dataDir, 'extra.properties');
    await writeFile(extraFile, options.extraProperties({ port, controllerPort }));
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_ADVERTISED_PORT: String(options.advertisedPort ?? port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_ALLOW_EXTERNAL: '0',
    KAFKA_AUTO_CREATE_TOPICS: String(options.autoCreateTopics ?? true),
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
    ...(extraFile === undefined ? {} : { KAFKA_EXTRA_PROPERTIES: extraFile }),
  };
  const start = () => kafkaSh('up', env);
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const pid = Number((await readFile(join(dataDir, 'kafka.pid'), 'utf8')).trim());
    process.kill(pid, name);
  };
  await start().catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    brokers: [`127.0.0.1:${options.advertisedPort ?? port}`],
    dataDir,
    runTool: (mainClass, args) => kafkaSh(['run', mainClass, ...args], env),
    start,
    stop: () => kafkaSh('down', env),
    async kill() {
      await signal('SIGKILL');
      await kafkaSh('down', env); // clears the stale pid file
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async cleanup() {
      // A paused broker would ignore the SIGTERM of `down` until its SIGKILL, 30 s later.
      await signal('SIGCONT').catch(() => undefined);
      await kafkaSh('down', env).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
