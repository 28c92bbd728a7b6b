import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

/**
 * A real Redis Cluster of the test's own: `size` primaries (`redis-server --cluster-enabled yes`,
 * no replicas) on free ports, joined with `redis-cli --cluster create`, each with AOF and
 * `noeviction` as production wants. `cleanup` kills them and removes their directory, also when
 * the start failed half-way.
 */
export interface PrivateRedisCluster {
  /** The address every role takes as REDIS_URL: `redis-cluster://127.0.0.1:p1,…`. */
  url: string;
  ports: number[];
  /**
   * Starts one more node, set up as the primaries are, and makes it a replica of the primary on
   * `primaryPort`; resolves with its port once it has synced.
   */
  addReplica(primaryPort: number): Promise<number>;
  cleanup(): Promise<void>;
}

function redisCli(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** What `redis-cli -p <port> <args>` prints (its errors too), trimmed: for a test's own commands. */
export function redisCliOn(port: number, ...args: string[]): string {
  return redisCli(['-p', String(port), ...args]).output.trim();
}

/**
 * @param options.ports the primaries' ports, chosen beforehand (a test that starts a role before
 *   its cluster needs the address first); free ports when not given
 */
export async function startPrivateRedisCluster(
  size = 3,
  options: { ports?: readonly number[] } = {},
): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'commitlog-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const cleanup = async (): Promise<void> => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => c.once('exit', resolve)),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  /** Starts a cluster-enabled node on `port`; resolves once it answers PING. */
  const startNode = async (port: number): Promise<void> => {
    // The bus port is chosen too: the default (port + 10000) may be taken or out of range.
    const busPort = await freePort();
    const args = [
      ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
      ...['--dir', dir, '--save', '', '--appendonly', 'yes'],
      ...['--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`],
      ...['--maxmemory-policy', 'noeviction', '--daemonize', 'no'],
    ];
    children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    await waitFor(() => redisCli(['-p', String(port), 'ping']).output.includes('PONG'), {
      timeoutMs: 10_000,
      description: `cluster node on port ${port} to answer PING`,
    });
  };
  const addReplica = async (primaryPort: number): Promise<number> => {
    const port = await freePort();
    await startNode(port);
    const primaryId = redisCli(['-p', String(primaryPort), 'cluster', 'myid']).output.trim();
    const add = redisCli([
      ...['--cluster', 'add-node', `127.0.0.1:${port}`, `127.0.0.1:${primaryPort}`],
      ...['--cluster-slave', '--cluster-master-id', primaryId],
    ]);
    if (!add.ok) throw new Error(`redis-cli --cluster add-node failed:\n${add.output}`);
    await waitFor(
      () =>
        redisCli(['-p', String(port), 'info', 'replication']).output.includes(
          'master_link_status:up',
        ),
      { timeoutMs: 30_000, description: `the replica on port ${port} to sync` },
    );
    return port;
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = options.ports?.[i] ?? (await freePort());
      ports.push(port);
      await startNode(port);
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    const create = redisCli(['--cluster', 'create', ...nodes, '--cluster-yes']);
    if (!create.ok) throw new Error(`redis-cli --cluster create failed:\n${create.output}`);
    for (const port of ports) {
      await waitFor(
        () => redisCli(['-p', String(port), 'cluster', 'info']).output.includes('cluster_state:ok'),
        { timeoutMs: 20_000, description: `cluster node on port ${port} to see the cluster ok` },
      );
    }
    return { url: `redis-cluster://${nodes.join(',')}`, ports, addReplica, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
