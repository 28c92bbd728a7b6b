import { deadlineClock } from '@commitlog/core';
import { waitFor } from '@commitlog/testkit';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaConnection } from './kafka-connection.ts';
import { KafkaProduceError } from './kafka-errors.ts';
import { createKafkajsProducer } from './kafkajs-producer.ts';
import { createPlatformaticProducer } from './platformatic-producer.ts';
import type { RecordProducer } from './record-producer.ts';

/**
 * Each client, and whether its connect goes on retrying (opening connections) after the close:
 * kafkajs's does, which is what the close must cut off as each connection opens.
 */
const IMPLEMENTATIONS: [string, (c: KafkaConnection) => Promise<RecordProducer>, boolean][] = [
  ['kafkajs', createKafkajsProducer, true],
  ['@platformatic/kafka', createPlatformaticProducer, false],
];

/**
 * A "broker" that takes connections and never answers (a hung broker, a black-holing proxy).
 * While `refusing`, it closes each connection as it comes, so that a client's first connect fails
 * fast instead of waiting out its request timeout.
 */
interface SilentBroker {
  connection: KafkaConnection;
  refusing: boolean;
  /** The connections it kept, open or closed since. */
  kept: { socket: Socket; closed: boolean }[];
  close(): Promise<void>;
}

async function startSilentBroker(): Promise<SilentBroker> {
  const broker: SilentBroker = {
    connection: { brokers: [], connectionTimeoutMs: 500, requestTimeoutMs: 300 },
    refusing: true,
    kept: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    if (broker.refusing) {
      socket.destroy();
      return;
    }
    const kept = { socket, closed: false };
    broker.kept.push(kept);
    socket.on('close', () => (kept.closed = true));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  broker.connection.brokers = [`127.0.0.1:${address.port}`];
  return broker;
}

describe.each(IMPLEMENTATIONS)(
  '%s producer, a broker that never answers',
  (_name, create, connectsAfterClose) => {
    let broker: SilentBroker | undefined;

    afterEach(async () => {
      for (const { socket } of broker?.kept ?? []) socket.destroy();
      await broker?.close();
      broker = undefined;
    });

    it('closes with a connect still under way, and leaves no connection to the broker', async () => {
      broker = await startSilentBroker();
      const silent = broker;
      const producer = await create(silent.connection);
      expect(producer.isConnected()).toBe(false);

      // A send given up by its settle-by takes a fresh client, which starts connecting at once
      // (see createKafkajsProducer's abandon): to a broker that never answers, that connect is
      // still under way when the worker stops.
      silent.refusing = false;
      const error = await producer
        .send([{ topic: 'riak.default.silent', key: Buffer.from('k'), value: null, headers: {} }], {
          settleBy: deadlineClock.now() + 150,
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaProduceError);
      expect(error).toMatchObject({ code: 'SEND_ABANDONED', retriable: true });
      await waitFor(() => silent.kept.some((k) => !k.closed), {
        description: "the fresh client's connect to reach the broker",
      });

      await producer.close();
      const keptAtClose = silent.kept.length;
      // Every connection goes, those the connect opens after the close as well: the client's own
      // retries of the connect (a few, each after a 300 ms request timeout and a back-off of up to
      // 2 s) must not leave one open.
      if (connectsAfterClose) {
        await waitFor(() => silent.kept.length > keptAtClose, {
          timeoutMs: 30_000,
          description: "a connection opened by the connect's retry after the close",
        });
      } else {
        // Time for a retry to come, were there one; there is none to wait for.
        await new Promise((resolve) => setTimeout(resolve, 2500));
      }
      await waitFor(() => silent.kept.every((k) => k.closed), {
        description: 'every connection to the broker to be closed',
      });
    });
  },
);
