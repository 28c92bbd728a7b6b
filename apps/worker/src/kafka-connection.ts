import type { KafkaConnection } from '@commitlog/kafka';
import type { Logger, WorkerConfig } from '@commitlog/runtime';

/** Connect and request timeouts of the producer: a tenth of the lock, between 1 s and 10 s. */
function produceTimeout(lockDurationMs: number): number {
  return Math.max(1000, Math.min(10_000, Math.floor(lockDurationMs / 10)));
}

/** How the worker reaches Kafka: its producer, and the admin client of its checks. */
export function kafkaConnection(config: WorkerConfig, logger: Logger): KafkaConnection {
  return {
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    ssl: config.kafka.ssl,
    ...(config.kafka.sslCa === undefined ? {} : { sslCa: config.kafka.sslCa }),
    ...(config.kafka.sslClient === undefined ? {} : { sslClient: config.kafka.sslClient }),
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}),
    log: logger,
    // Short timeouts so that a dead broker fails a try quickly. What keeps a worker cut off from
    // Redis (its lock lapses, another worker delivers the job and the lane's next ones) from
    // landing an old version late is not these but each job's `lockedUntil`: the gatherer gives
    // it to the producer as the send's settle-by time, past which the send is abandoned.
    connectionTimeoutMs: produceTimeout(config.lockDurationMs),
    requestTimeoutMs: produceTimeout(config.lockDurationMs),
  };
}
