import type { KafkaConnection } from './kafka-connection.ts';
import { createKafkajsProducer } from './kafkajs-producer.ts';
import { createPlatformaticProducer } from './platformatic-producer.ts';
import type { RecordProducer } from './record-producer.ts';

/** The implementations of `RecordProducer`, by the name `KAFKA_CLIENT` gives them. */
export type KafkaClientName = 'platformatic' | 'kafkajs';

export function createRecordProducer(
  client: KafkaClientName,
  connection: KafkaConnection,
): Promise<RecordProducer> {
  return client === 'kafkajs'
    ? createKafkajsProducer(connection)
    : createPlatformaticProducer(connection);
}
