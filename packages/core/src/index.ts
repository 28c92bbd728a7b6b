export { CommitlogError, isRetriable } from './errors.ts';
export type { KafkaRecord } from './kafka-record.ts';
