export { createKafkaAdmin, partitionCountsOnce, type KafkaAdmin } from './kafka-admin.ts';
export { type KafkaConnection, type KafkaLogSink } from './kafka-connection.ts';
export { KafkaProduceError, toKafkaProduceError } from './kafka-errors.ts';
export { createRecordProducer, type KafkaClientName } from './create-record-producer.ts';
export { createKafkajsProducer } from './kafkajs-producer.ts';
export { collectRecords, type CollectedRecord, type RecordCollector } from './record-collector.ts';
export type { RecordProducer } from './record-producer.ts';
export { createTopicStampReader, type RecordStamp, type TopicStampReader } from './topic-stamps.ts';
export { createPlatformaticProducer } from './platformatic-producer.ts';
