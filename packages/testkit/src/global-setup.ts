/**
 * Vitest global set-up: make sure a Redis and a Kafka broker answer before any test runs.
 * Uses REDIS_URL / KAFKA_BROKERS when set; otherwise starts the local ones from infra/ when
 * nothing answers, and stops at the end only what its own calls started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pingRedis } from '@commitlog/queue';
import { maskRedisUrl } from '@commitlog/runtime';
import { testKafkaBrokers, testRedisUrl } from './test-env.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function tcpAnswers(hostPort: string, timeoutMs = 1000): Promise<boolean> {
  const [host = '127.0.0.1', port = '9092'] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function runInfra(script: string, command: 'up' | 'down', env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync('bash', [`${REPO_ROOT}infra/${script}`, command], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) {
    throw new Error(`infra/${script} ${command} failed (exit ${result.status ?? result.signal})`);
  }
}

/**
 * Runs the script's `up` and says whether that call started the service (the script writes the
 * mark file only then). Asking `status` first could not tell: `commitlog up` starting the broker
 * at the same moment, both found nothing running, and the tests stopped its broker at their end.
 */
function startedByUp(script: string, markVariable: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'commitlog-started-'));
  const mark = join(dir, 'mark');
  try {
    runInfra(script, 'up', { [markVariable]: mark });
    return existsSync(mark);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function setup(): Promise<() => void> {
  const started: string[] = [];
  if (!(await pingRedis(testRedisUrl()))) {
    if (process.env.REDIS_URL)
      // Masked: CI logs keep this line, and a Redis URL may hold its password.
      throw new Error(`REDIS_URL=${maskRedisUrl(process.env.REDIS_URL)} does not answer`);
    if (startedByUp('redis/redis.sh', 'REDIS_STARTED_MARK')) started.push('redis/redis.sh');
  }
  if (process.env.KAFKA_BROKERS) {
    const answering = await Promise.all(testKafkaBrokers().map((b) => tcpAnswers(b)));
    if (!answering.some(Boolean)) {
      throw new Error(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: no broker answers`);
    }
  } else {
    // kafka.sh's `up` even when something answers on the port (a few milliseconds when its broker
    // runs): it tells a Kafka broker from another program holding the port, which a TCP connect
    // here took for the broker, and it waits for a broker another call is starting.
    try {
      if (startedByUp('kafka/kafka.sh', 'KAFKA_STARTED_MARK')) started.push('kafka/kafka.sh');
    } catch (error) {
      // The Redis started above is this set-up's to stop: no teardown is returned to do it.
      stopAll(started);
      throw error;
    }
  }
  return () => stopAll(started);
}

function stopAll(started: readonly string[]): void {
  for (const script of [...started].reverse()) runInfra(script, 'down');
}
