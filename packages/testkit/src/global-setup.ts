/**
 * Vitest global set-up: make sure a Redis and a Kafka broker answer before any test runs.
 * Uses REDIS_URL / KAFKA_BROKERS when set; otherwise starts the local ones from infra/ when
 * nothing answers, and stops at the end only what it started.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
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

/**
 * Whether the infra script says its service is up already (`status`: kafka.sh for the broker it
 * started, redis.sh for any Redis answering): then it is not this set-up's to stop, even though it
 * did not answer in time here (a loaded machine) and `up` was run.
 */
function infraRunning(script: string): boolean {
  return (
    spawnSync('bash', [`${REPO_ROOT}infra/${script}`, 'status'], { stdio: 'ignore' }).status === 0
  );
}

function runInfra(script: string, command: 'up' | 'down'): void {
  const result = spawnSync('bash', [`${REPO_ROOT}infra/${script}`, command], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`infra/${script} ${command} failed (exit ${result.status ?? result.signal})`);
  }
}

export default async function setup(): Promise<() => void> {
  const started: string[] = [];
  if (!(await pingRedis(testRedisUrl()))) {
    if (process.env.REDIS_URL)
      // Masked: CI logs keep this line, and a Redis URL may hold its password.
      throw new Error(`REDIS_URL=${maskRedisUrl(process.env.REDIS_URL)} does not answer`);
    const ours = !infraRunning('redis/redis.sh');
    runInfra('redis/redis.sh', 'up');
    if (ours) started.push('redis/redis.sh');
  }
  const brokers = testKafkaBrokers();
  const answering = await Promise.all(brokers.map((b) => tcpAnswers(b)));
  if (!answering.some(Boolean)) {
    if (process.env.KAFKA_BROKERS) {
      throw new Error(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: no broker answers`);
    }
    const ours = !infraRunning('kafka/kafka.sh');
    try {
      runInfra('kafka/kafka.sh', 'up');
    } catch (error) {
      // The Redis started above is this set-up's to stop: no teardown is returned to do it.
      stopAll(started);
      throw error;
    }
    if (ours) started.push('kafka/kafka.sh');
  }
  return () => stopAll(started);
}

function stopAll(started: readonly string[]): void {
  for (const script of [...started].reverse()) runInfra(script, 'down');
}
