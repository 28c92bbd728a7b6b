import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

const CLUSTER_SH = fileURLToPath(new URL('../../../infra/kafka/cluster.sh', import.meta.url));

/**
 * A Kafka cluster of the test's own (infra/kafka/cluster.sh on free ports and a temporary data
 * dir): `size` KRaft nodes, replication factor 3 and min.insync.replicas 2 by default.
 */
export interface PrivateKafkaCluster {
  brokers: string[];
  /** Controlled shutdown of node `n` (1-based); the others go on. */
  stopNode(n: number): Promise<void>;
  /** Kills every node (no controlled shutdown: the test is over) and removes the data. */
  cleanup(): Promise<void>;
}

function clusterSh(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn('bash', [CLUSTER_SH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`cluster.sh ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

export async function startPrivateKafkaCluster(size = 3): Promise<PrivateKafkaCluster> {
  const ports: number[] = [];
  const controllerPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    ports.push(await freePort());
    controllerPorts.push(await freePort());
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'commitlog-kafka-cluster-'));
  // The test process that owns the broker: infra/down.sh stops a broker left here only once it
  // is gone (a run cut short), never one a running test still uses.
  await writeFile(join(dataDir, 'owner.pid'), String(process.pid));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_CLUSTER_SIZE: String(size),
    KAFKA_CLUSTER_PORTS: ports.join(','),
    KAFKA_CLUSTER_CONTROLLER_PORTS: controllerPorts.join(','),
    KAFKA_CLUSTER_DATA_DIR: dataDir,
  };
  const cleanup = async (): Promise<void> => {
    for (let n = 1; n <= size; n++) {
      const pid = Number(
        (await readFile(join(dataDir, `node-${n}`, 'kafka.pid'), 'utf8').catch(() => '')).trim(),
      );
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await clusterSh(['down'], env).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await clusterSh(['up'], env);
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    brokers: ports.map((p) => `127.0.0.1:${p}`),
    stopNode: (n) => clusterSh(['stop-node', String(n)], env),
    cleanup,
  };
}
