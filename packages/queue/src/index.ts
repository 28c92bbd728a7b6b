export {
  commitJobOptions,
  holdsCommit,
  isRetryProgress,
  unknownJobField,
  type CommitJobData,
  type RetryProgress,
} from './commit-job.ts';
export {
  createCommitEnqueuer,
  type CommitEnqueuer,
  type CommitEnqueuerOptions,
  type EnqueueResult,
} from './commit-enqueuer.ts';
export { laneJobState, openBoardQueues, type BoardQueues, type LaneQueue } from './board-queues.ts';
export {
  readDeliveryOverview,
  type DeliveryOverview,
  type OverviewOptions,
} from './delivery-overview.ts';
export {
  deliveryRates,
  perMinute,
  type DeliveryMinute,
  type OutcomeMetrics,
} from './delivery-rates.ts';
export {
  failedByReason,
  reasonOf,
  recentFailures,
  type FailedDelivery,
  type FailedReasonGroup,
} from './failed-deliveries.ts';
export { removeExpiredFailures, takeSweepTurn } from './expired-failures.ts';
export {
  recordStall,
  stallRecords,
  stallStreamKey,
  type HeldLane,
  type StallRecord,
  type StallView,
} from './delivery-views.ts';
export {
  redrive,
  UNREADABLE_IDS_KEPT,
  type RedriveFilter,
  type RedriveReading,
  type RedriveResult,
} from './redrive.ts';
export { readLaneBacklogs, type LaneBacklog } from './lane-backlog.ts';
export { recordPartitionCount, topicPartitionsKey } from './topic-partition-counts.ts';
export {
  claimLaneCount,
  laneCountKey,
  lanesToCover,
  LaneCountChangeRefusedError,
  LaneCountMismatchError,
  lanesHoldingCommits,
  readLaneCount,
  readLaneCountForStore,
  type HoldingLane,
  type LaneCountClaimOptions,
  type LaneCountClaim,
  type LaneCountLog,
} from './lane-count.ts';
export { laneChangeKey, LaneCountChangingError } from './lane-change-fence.ts';
export { isClusterAddress, parseRedisAddress, type RedisAddress } from './redis-address.ts';
export { readLaneLocations, type LaneLocation } from './lane-map.ts';
export { laneOfQueueName, laneQueueName } from './lane-queue-name.ts';
export { restoreLaneLimits } from './lane-concurrency.ts';
export { type LaneFollower } from './lane-followers.ts';
export { startLaneWorkers } from './lane-workers.ts';
export type { LaneWorkers, LaneWorkersOptions } from './lane-workers-options.ts';
export type { LaneJob, LaneOutcome } from './lane-job.ts';
export {
  BacklogFullError,
  DeliveryNotRecordedError,
  LockLostError,
  QueueUnavailableError,
  RedriveInterruptedError,
} from './queue-errors.ts';
export { ReplicasBehindError, waitForReplicas, type ReplicaWait } from './replica-wait.ts';
export {
  createRedisConnection,
  dataNodes,
  nodeAddress,
  deleteKeysMatching,
  pingRedis,
  whenFirstConnected,
  type RedisConnection,
  type RedisConnectionOptions,
  type RedisRole,
} from './redis-connection.ts';
export {
  checkRedisSafety,
  judgeRedisInfo,
  RedisIsAReplicaError,
  UnsafeRedisError,
  type RedisSafety,
  type RedisSafetyRules,
} from './redis-safety.ts';
export {
  firstConnectionOrRefusal,
  isLastingRedisError,
  untilRedisAnswers,
  type UntilRedisAnswersOptions,
} from './redis-retry.ts';
export { redisErrorCode } from './redis-error-code.ts';
export { discardUnreadable, DiscardRefusedError } from './discard.ts';
export {
  appendAudit,
  readAuditTrail,
  auditTrailKey,
  AUDIT_TRAIL_MAX_ENTRIES,
  type AuditRecord,
} from './audit-trail.ts';
export { parseMemoryInfo, readRedisMemory, type RedisMemory } from './redis-memory.ts';
export { readRedisClockOffsetMs } from './redis-clock-offset.ts';
export { inLaneBatches } from './with-lane-queue.ts';
