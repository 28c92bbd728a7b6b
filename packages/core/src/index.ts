// The pure domain of commitlog's delivery path. Words used here: see glossary.ts.
export { CommitlogError, isRetriable } from './errors.ts';
export type { KafkaRecord } from './kafka-record.ts';
export {
  base64ByteLength,
  binaryByteLength,
  binaryToBytes,
  binaryToDisplay,
  cutForLog,
  binaryToText,
  bytesToBinary,
  isCanonicalBase64,
  type RiakBinary,
} from './riak-binary.ts';
export {
  base64Schema,
  batchSchema,
  commitSchema,
  keyAddressSchema,
  MAX_BATCH_COMMITS,
  riakBinarySchema,
  siblingSchema,
  type Commit,
  type CommitOp,
  type KeyAddress,
  type Sibling,
} from './commit-schema.ts';
export { unknownCommitField } from './unknown-commit-field.ts';
export { formatPath, ValidationError, type ValidationErrorCode } from './validation-error.ts';
export { jsonParseLoss, type JsonParseLoss } from './json-parse-losses.ts';
export { countJsonValues, MAX_JSON_DEPTH, measureJson } from './json-value-count.ts';
export { parseBatch, parseCommit, parseKeyAddress } from './parse-commit.ts';
export {
  assertCommitSize,
  commitSize,
  CommitTooLargeError,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  RECORD_FRAMING_BYTES,
  recordSize,
  singleCommitBodyLimit,
} from './commit-size.ts';
export { commitId } from './commit-id.ts';
export { laneName, laneOf, MAX_LANES } from './lane.ts';
export {
  defaultTopic,
  ForbiddenTopicError,
  isValidTopicName,
  kafkaCollisionName,
  MAX_TOPIC_LENGTH,
  parseRoutes,
  routeFor,
  routeRuleSchema,
  routesFileSchema,
  type Route,
  type RouteRule,
} from './topic-routing.ts';
export {
  ENVELOPE_CONTENT_TYPE,
  ENVELOPE_FORMAT,
  toKafkaRecord,
  type RecordMeta,
} from './record-mapping.ts';
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  expiresAt,
  ExpiredError,
  isExpired,
  nextDelay,
  parseDuration,
  type NextDelay,
  type RetryPolicy,
} from './retry-policy.ts';
export {
  failureReason,
  isPermanentCode,
  isPermanentFailure,
  PERMANENT_FAILURE_REASONS,
} from './failure-reason.ts';
export {
  checkSignatureHeader,
  SIGNATURE_HEADER,
  SignatureError,
  signRequest,
  verifyRequestSignature,
  verifySignedBody,
  type SignatureHeader,
} from './request-signature.ts';
export { createDeadlineClock, deadlineClock, type DeadlineClock } from './deadline-clock.ts';
