// kafkajs's own send path (its sendMessages and retrier, the code our kafkajs producer runs), over
// a fake cluster of two brokers whose partition leadership moves mid-send, with the retry setting
// our producer gives kafkajs. No broker here can move a leader on cue; this is the one place the
// failure can be made to happen exactly.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { KAFKAJS_PRODUCER_RETRY } from './kafkajs-producer.ts';

const load = createRequire(import.meta.url);

interface Message {
  partition: number;
  value: string;
}
interface PartitionData {
  partition: number;
  messages: Message[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
type Send = (request: {
  acks: number;
  timeout: number;
  compression: number;
  topicMessages: { topic: string; messages: Message[] }[];
}) => Promise<unknown>;

const sendMessages = load('kafkajs/src/producer/sendMessages.js') as (deps: object) => Send;
const createRetry = load('kafkajs/src/retry/index.js') as (options: object) => unknown;
const createEosManager = load('kafkajs/src/producer/eosManager/index.js') as (
  options: object,
) => unknown;
const { createErrorFromCode } = load('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(this: void, code: number): Error;
};
const { createLogger, LEVELS } = load('kafkajs/src/loggers/index.js') as {
  createLogger(this: void, options: object): unknown;
  LEVELS: { NOTHING: number };
};

/** Kafka's NOT_LEADER_OR_FOLLOWER. */
const NOT_LEADER = 6;

/**
 * Partition 0 is led by broker 1 and partition 1, the client believes, by broker 2; in truth
 * partition 1's leadership has moved to broker 1, as the first metadata refresh shows.
 */
function leaderMovesMidSend() {
  let believed: Record<number, number> = { 0: 1, 1: 2 };
  const truth: Record<number, number> = { 0: 1, 1: 1 };
  const appended: string[] = [];
  const broker = (nodeId: number) => ({
    nodeId,
    produce({ topicData }: { topicData: TopicData[] }) {
      for (const t of topicData) {
        for (const p of t.partitions) {
          if (truth[p.partition] !== nodeId) return Promise.reject(createErrorFromCode(NOT_LEADER));
        }
      }
      for (const t of topicData) {
        for (const p of t.partitions) for (const m of p.messages) appended.push(m.value);
      }
      return Promise.resolve({
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            errorCode: 0,
            baseOffset: '0',
          })),
        })),
      });
    },
  });
  const brokers: Record<number, ReturnType<typeof broker>> = { 1: broker(1), 2: broker(2) };
  const cluster = {
    refreshMetadataIfNecessary: () => Promise.resolve(),
    refreshMetadata: () => {
      believed = { ...truth };
      return Promise.resolve();
    },
    addMultipleTargetTopics: () => Promise.resolve(),
    isConnected: () => true,
    findTopicPartitionMetadata: () =>
      [0, 1].map((id) => ({ partitionId: id, leader: believed[id] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<number, number[]> = {};
      for (const id of partitions) (byLeader[believed[Number(id)]!] ??= []).push(Number(id));
      return byLeader;
    },
    findBroker: ({ nodeId }: { nodeId: number }) => Promise.resolve(brokers[nodeId]),
    removeBroker: () => undefined,
  };
  return { cluster, appended };
}

function sendOver(cluster: object, retry: object): Send {
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined });
  return sendMessages({
    logger,
    cluster,
    eosManager: createEosManager({
      logger,
      cluster,
      transactionTimeout: 60_000,
      transactional: false,
      idempotent: false,
    }),
    partitioner: ({ message }: { message: Message }) => message.partition,
    retrier: createRetry({ initialRetryTime: 1, maxRetryTime: 5, ...retry }),
  });
}

const request = {
  acks: -1,
  timeout: 1000,
  compression: 0,
  topicMessages: [
    {
      topic: 't',
      messages: [
        { partition: 0, value: 'A' },
        { partition: 1, value: 'B' },
      ],
    },
  ],
};

describe("kafkajs's send, with the retry setting our producer gives it", () => {
  it('fails a send whose partition leader moved, rather than resolving with records unsent', async () => {
    const { cluster, appended } = leaderMovesMidSend();
    // The moved leader (Kafka's NOT_LEADER_OR_FOLLOWER, code 6), not a fault of this fake
    // cluster, is what failed the send.
    await expect(sendOver(cluster, KAFKAJS_PRODUCER_RETRY)(request)).rejects.toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      message: expect.stringMatching(/not the leader/) as unknown,
    });
    // The lanes send both again: B is then sent to its new leader.
    await expect(sendOver(cluster, KAFKAJS_PRODUCER_RETRY)(request)).resolves.toBeDefined();
    expect(appended).toContain('B');
  });

  it("shows why: kafkajs's own retry resolves without ever sending B", async () => {
    const { cluster, appended } = leaderMovesMidSend();
    await expect(sendOver(cluster, { retries: 3 })(request)).resolves.toBeDefined();
    expect(appended).toEqual(['A']);
  });
});
