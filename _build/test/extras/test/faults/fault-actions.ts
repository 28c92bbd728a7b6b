/**
 * Faults as actions on a running cluster: each breaks one part, waits, and heals it again, so the
 * system is whole when it resolves. Rows use them one at a time; the soak picks them at random.
 */
import type { RoleProcess } from '@commitlog/testkit';
import type { FaultCluster } from './fault-cluster.ts';
import { sleep } from './row-result.ts';
import type { ProxyFault, TcpProxy } from './tcp-proxy.ts';

export interface FaultAction {
  name: string;
  run(cluster: FaultCluster, log: (line: string) => void): Promise<void>;
}

/** The worker started first among those still running. */
function oldestWorker(cluster: FaultCluster): RoleProcess {
  const alive = cluster.system.workers.filter((w) => w.pid > 0 && !exitedWorkers.has(w));
  const worker = alive[0];
  if (!worker) throw new Error('no worker is running');
  return worker;
}

const exitedWorkers = new WeakSet<RoleProcess>();

export const killWorker: FaultAction = {
  name: 'worker kill -9',
  async run(cluster, log) {
    const victim = oldestWorker(cluster);
    victim.signal('SIGKILL');
    await victim.exited;
    exitedWorkers.add(victim);
    log(`worker ${victim.pid} killed; starting a new one`);
    await cluster.system.startWorker();
  },
};

/** SIGSTOP a worker for `ms` (past its lock: another worker takes its jobs), then SIGCONT. */
export function pauseWorker(ms: number): FaultAction {
  return {
    name: `worker SIGSTOP ${ms / 1000} s`,
    async run(cluster, log) {
      const victim = oldestWorker(cluster);
      victim.signal('SIGSTOP');
      log(`worker ${victim.pid} paused`);
      await sleep(ms);
      victim.signal('SIGCONT');
      log(`worker ${victim.pid} resumed`);
    },
  };
}

export const killIngest: FaultAction = {
  name: 'ingest kill -9',
  async run(cluster, log) {
    const ingest = cluster.system.ingest;
    ingest.signal('SIGKILL');
    await ingest.exited;
    log(`ingest ${ingest.pid} killed; restarting it`);
    await cluster.system.restartIngest();
  },
};

export function redisDown(how: 'stop' | 'kill', ms: number): FaultAction {
  return {
    name: how === 'stop' ? 'Redis restart' : 'Redis kill -9',
    async run(cluster, log) {
      await (how === 'stop' ? cluster.redis.stop() : cluster.redis.kill());
      log(`Redis down (${how})`);
      await sleep(ms);
      await cluster.redis.start();
      log('Redis back');
    },
  };
}

export function kafkaDown(how: 'stop' | 'kill' | 'pause', ms: number): FaultAction {
  const names = { stop: 'Kafka stop', kill: 'Kafka kill -9', pause: 'Kafka SIGSTOP' };
  return {
    name: `${names[how]} ${ms / 1000} s`,
    async run(cluster, log) {
      if (how === 'stop') await cluster.kafka.stop();
      else if (how === 'kill') await cluster.kafka.kill();
      else await cluster.kafka.pause();
      log(`${names[how]}`);
      await sleep(ms);
      await (how === 'pause' ? cluster.kafka.resume() : cluster.kafka.start());
      log('Kafka back');
    },
  };
}

type ProxyPath = 'ingestRedis' | 'workerRedis' | 'workerKafka';

const PATH_NAMES: Record<ProxyPath, string> = {
  ingestRedis: 'ingest→Redis',
  workerRedis: 'worker→Redis',
  workerKafka: 'worker→Kafka',
};

function describeFault(fault: ProxyFault): string {
  switch (fault.kind) {
    case 'latency':
      return `latency ${fault.ms} ms`;
    case 'bandwidth':
      return `${fault.bytesPerSecond} B/s`;
    default:
      return fault.kind;
  }
}

export interface ProxyFaultAction extends FaultAction {
  /**
   * The last run's fault, epoch ms: `from` is past the ms in which the fault was set and `to`
   * before the ms in which it was lifted, so that a request sent at or after `from` and answered
   * at or before `to` went through the proxy only while the fault was on. Zero before a run.
   */
  window: { from: number; to: number };
}

/**
 * Puts `fault` on one proxied path for `ms`, then lifts it. A reset cuts the open connections at
 * once and every new one during `ms`.
 */
export function proxyFault(path: ProxyPath, fault: ProxyFault, ms: number): ProxyFaultAction {
  const window = { from: 0, to: 0 };
  return {
    name: `${PATH_NAMES[path]} ${describeFault(fault)}${fault.kind === 'reset' ? '' : ` ${ms / 1000} s`}`,
    window,
    async run(cluster, log) {
      const proxy: TcpProxy | undefined = cluster.proxies[path];
      if (!proxy) throw new Error(`the cluster has no ${path} proxy`);
      proxy.setFault(fault);
      window.from = Date.now() + 1;
      window.to = 0;
      log(`${PATH_NAMES[path]}: ${describeFault(fault)}`);
      await sleep(ms);
      window.to = Date.now() - 1;
      proxy.setFault({ kind: 'none' });
    },
  };
}
