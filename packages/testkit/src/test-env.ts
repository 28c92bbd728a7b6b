/** Where the tests find Redis and Kafka: the same variables and defaults as the services. */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** KAFKA_BROKERS, else the local broker, on KAFKA_HOST and KAFKA_PORT as infra/kafka/kafka.sh reads them. */
export function testKafkaBrokers(): string[] {
  const { KAFKA_BROKERS, KAFKA_HOST, KAFKA_PORT } = process.env;
  return (KAFKA_BROKERS || `${KAFKA_HOST || '127.0.0.1'}:${KAFKA_PORT || '9092'}`)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

/**
 * The worker's Kafka client for end-to-end runs, `KAFKA_CLIENT` as the worker reads it; unset
 * means the worker's default. `KAFKA_CLIENT=kafkajs pnpm vitest run test/` runs the
 * end-to-end and fault tests against the other implementation (test/delivery.test.ts runs both).
 */
export function testKafkaClient(): string | undefined {
  const client = process.env.KAFKA_CLIENT?.trim();
  return client === undefined || client === '' ? undefined : client;
}
