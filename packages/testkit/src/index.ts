export {
  deleteCommit,
  putCommit,
  wireBinary,
  type WireBinary,
  type WireCommit,
  type WireSibling,
} from './commit-factory.ts';
export { freePort, NOTHING_LISTENS_PORT } from './free-port.ts';
export {
  startHangingLaneWorker,
  type HangingLaneWorker,
  type HangingLaneWorkerOptions,
} from './hanging-lane-worker.ts';
export { createTestTopic, type TestTopic } from './kafka-topic.ts';
export { createTestQueuePrefix, type TestQueuePrefix } from './queue-prefix.ts';
export { startPrivateKafka, type PrivateKafka } from './private-kafka.ts';
export {
  startSecuredKafka,
  type SaslLogin,
  type SaslMechanism,
  type SecuredKafka,
} from './secured-kafka.ts';
export { startPrivateKafkaCluster, type PrivateKafkaCluster } from './private-kafka-cluster.ts';
export {
  startPrivateRedis,
  startReplicatedRedis,
  type PrivateRedis,
  type PrivateRedisOptions,
} from './redis-server.ts';
export { redisCliOn, startPrivateRedisCluster, type PrivateRedisCluster } from './redis-cluster.ts';
export { testKafkaBrokers, testKafkaClient, testRedisUrl } from './test-env.ts';
export { makeTestCertificates, type TestCertificates } from './test-certificates.ts';
export { uniqueName } from './unique-name.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
export {
  startSystem,
  type PostResult,
  type RoleProcess,
  type RunningSystem,
  type SystemOptions,
} from './commitlog-system.ts';
export { captureLogLines, type LogCapture } from './log-capture.ts';
export { scryptHashAtCost } from './scrypt-hash.ts';
export { seededRandom } from './seeded-random.ts';
export { default as setUpSharedServices } from './global-setup.ts';
