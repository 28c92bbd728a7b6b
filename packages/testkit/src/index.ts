export { freePort } from './free-port.ts';
export { createTestTopic, type TestTopic } from './kafka-topic.ts';
export { createTestQueuePrefix, type TestQueuePrefix } from './queue-prefix.ts';
export { startPrivateRedis, type PrivateRedis, type PrivateRedisOptions } from './redis-server.ts';
export { testKafkaBrokers, testRedisUrl } from './test-env.ts';
export { uniqueName } from './unique-name.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
