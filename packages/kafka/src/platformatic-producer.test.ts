import { deadlineClock, type KafkaRecord } from '@commitlog/core';
import { makeTestCertificates, waitFor, type TestCertificates } from '@commitlog/testkit';
import { Writer } from '@platformatic/kafka';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from './kafka-connection.ts';
import { javaKeyPartitioner } from './murmur2.ts';
import {
  createPlatformaticProducer,
  platformaticProducerOptions,
} from './platformatic-producer.ts';
import type { RecordProducer } from './record-producer.ts';

const TOPIC = 'riak.default.blackholed';
const PRODUCE = 0;
const METADATA = 3;
const API_VERSIONS = 18;

/** One client connection, as the fake broker sees it. */
interface BrokerSide {
  /** The produce request the broker stopped reading at, once one came. */
  produce?: { acks: number; timeoutMs: number };
  /**
   * How the client left, as the broker learns once it reads again: `reset` (RST, what it had not
   * delivered is dropped) or `end` (FIN, after everything it had written).
   */
  outcome: Promise<string>;
  /** Reads again, dropping what comes, to learn how the client left. */
  resume(): void;
  /** Over TLS, the server name the client sent (SNI), or `false` when it sent none. */
  servername?: string | false | null;
}

interface FakeBroker {
  brokers: string[];
  connections: BrokerSide[];
  close(): Promise<void>;
}

function frame(correlationId: number, body: Writer): Buffer {
  const payload = Buffer.concat([int32(correlationId), body.buffer]);
  return Buffer.concat([int32(payload.length), payload]);
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/** ApiVersions v3: the broker speaks Produce v3, Metadata v1 and ApiVersions, nothing newer. */
function apiVersionsAnswer(): Writer {
  return Writer.create()
    .appendInt16(0)
    .appendArray(
      [
        [PRODUCE, 3, 3],
        [METADATA, 1, 1],
        [API_VERSIONS, 0, 3],
      ],
      (w, [key, min, max]) => {
        w.appendInt16(key!).appendInt16(min!).appendInt16(max!);
      },
    )
    .appendInt32(0)
    .appendTaggedFields();
}

/** Metadata v1: one broker, itself (node 1), leading the one partition of the one topic. */
function metadataAnswer(port: number, host: string): Writer {
  const int32s = (w: Writer, n: number) => {
    w.appendInt32(n);
  };
  return Writer.create()
    .appendArray(
      [port],
      (w, p) => {
        w.appendInt32(1).appendString(host, false).appendInt32(p).appendString(null, false);
      },
      false,
      false,
    )
    .appendInt32(1)
    .appendArray(
      [TOPIC],
      (w, name) => {
        w.appendInt16(0)
          .appendString(name, false)
          .appendBoolean(false)
          .appendArray(
            [0],
            (w, partition) => {
              w.appendInt16(0)
                .appendInt32(partition)
                .appendInt32(1)
                .appendArray([1], int32s, false, false)
                .appendArray([1], int32s, false, false);
            },
            false,
            false,
          );
      },
      false,
      false,
    );
}

/**
 * A Kafka broker that answers ApiVersions and Metadata and then, at the first produce request of
 * a connection, stops reading it for good: a broker that a network blackhole cut off mid-request.
 * The request stays unacknowledged, and what the client had not delivered of it stays in its
 * kernel's send buffer.
 */
async function startFakeBroker(
  tls?: { key: string; cert: string },
  host = '127.0.0.1',
): Promise<FakeBroker> {
  const connections: BrokerSide[] = [];
  const sockets = new Set<Socket>();
  let port = 0;

  const serve = (socket: Socket) => {
    sockets.add(socket);
    // The outcome listens for the first error; later ones must not be unhandled.
    socket.on('error', () => undefined);
    const side: BrokerSide = {
      outcome: new Promise((resolve) => {
        socket.once('end', () => resolve('end'));
        socket.once('error', (error: NodeJS.ErrnoException) =>
          resolve(error.code === 'ECONNRESET' ? 'reset' : `error ${error.code}`),
        );
      }),
      resume() {
        socket.on('data', () => undefined);
        socket.resume();
      },
      ...(tls ? { servername: (socket as TLSSocket).servername } : {}),
    };
    connections.push(side);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 14) {
        const size = buffered.readInt32BE(0);
        const apiKey = buffered.readInt16BE(4);
        const correlationId = buffered.readInt32BE(8);
        if (apiKey === PRODUCE) {
          // Request header v1 (client_id), then Produce v3: transactional_id, acks, timeout_ms.
          let at = 14 + Math.max(0, buffered.readInt16BE(12));
          if (buffered.length < at + 2) return;
          at += 2 + Math.max(0, buffered.readInt16BE(at));
          if (buffered.length < at + 6) return;
          side.produce = {
            acks: buffered.readInt16BE(at),
            timeoutMs: buffered.readInt32BE(at + 2),
          };
          socket.off('data', onData);
          socket.pause();
          return;
        }
        if (buffered.length < 4 + size) return;
        buffered = buffered.subarray(4 + size);
        if (apiKey === API_VERSIONS) socket.write(frame(correlationId, apiVersionsAnswer()));
        if (apiKey === METADATA) socket.write(frame(correlationId, metadataAnswer(port, host)));
      }
    };
    socket.on('data', onData);
  };

  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, serve)
    : createTcpServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  return {
    brokers: [`${host}:${port}`],
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A record big enough that much of its produce request is still unsent when the client gives up. */
const bigRecord: KafkaRecord = {
  topic: TOPIC,
  key: Buffer.from('txn-123'),
  value: Buffer.alloc(8 * 1024 * 1024, 7),
  headers: { 'riak-op': 'put' },
};

let certificates: TestCertificates & { key: string; cert: string };
let certificatesDir: string;

beforeAll(async () => {
  certificatesDir = await mkdtemp(join(tmpdir(), 'commitlog-platformatic-'));
  const made = await makeTestCertificates(certificatesDir);
  certificates = {
    ...made,
    key: await readFile(made.keyFile, 'utf8'),
    cert: await readFile(made.certFile, 'utf8'),
  };
});

afterAll(async () => {
  await rm(certificatesDir, { recursive: true, force: true });
});

let broker: FakeBroker | undefined;
let producer: RecordProducer | undefined;

afterEach(async () => {
  await producer?.close().catch(() => undefined);
  await broker?.close();
  producer = undefined;
  broker = undefined;
});

const TRANSPORTS: [string, boolean][] = [
  ['plain TCP', false],
  ['TLS', true],
];

describe.each(TRANSPORTS)(
  '@platformatic/kafka producer over %s, when the broker stops reading mid-request',
  (_name, tls) => {
    async function start(options: Partial<KafkaConnection>): Promise<FakeBroker> {
      broker = await startFakeBroker(tls ? certificates : undefined);
      producer = await createPlatformaticProducer({
        brokers: broker.brokers,
        ...(tls ? { ssl: true, sslCa: certificates.caPem } : {}),
        ...options,
      });
      return broker;
    }

    it('resets the connection of a request that timed out, before it sends the request again', async () => {
      const fake = await start({ requestTimeoutMs: 500, connectionTimeoutMs: 2000 });
      const sent = producer!.send([bigRecord]);
      sent.catch(() => undefined);
      // The client timed the first request out and sent it again on another connection.
      const [first] = await waitFor(() => {
        const stalled = fake.connections.filter((c) => c.produce);
        return stalled.length >= 2 && stalled;
      });
      first!.resume();
      expect(await first!.outcome).toBe('reset');
      await expect(sent).rejects.toMatchObject({ retriable: true });
    }, 20_000);

    it('resets the connection of a send it abandons', async () => {
      const fake = await start({ requestTimeoutMs: 10_000 });
      let settled = false;
      const sent = producer!.send([bigRecord], { settleBy: deadlineClock.now() + 2000 });
      sent.catch(() => undefined).finally(() => (settled = true));
      const first = await waitFor(() => fake.connections.find((c) => c.produce));
      // A close that waited for the unsent bytes to drain would never end while the broker
      // does not read: the send must settle before the broker reads again.
      await waitFor(() => settled, {
        timeoutMs: 10_000,
        description: 'the abandoned send settles',
      });
      first.resume();
      expect(await first.outcome).toBe('reset');
      await expect(sent).rejects.toMatchObject({ code: 'SEND_ABANDONED', retriable: true });
      // The abandoned client sent nothing more.
      expect(fake.connections.filter((c) => c.produce)).toHaveLength(1);
    }, 20_000);
  },
);

describe('@platformatic/kafka producer, the broker-side timeout of a produce request', () => {
  it("asks the broker to answer before the client's own request timeout runs out", async () => {
    broker = await startFakeBroker();
    producer = await createPlatformaticProducer({
      brokers: broker.brokers,
      requestTimeoutMs: 3000,
    });
    // Time enough to fetch the metadata and send (the broker never answers the produce).
    const sent = producer.send([{ ...bigRecord, value: Buffer.from('v') }], {
      settleBy: deadlineClock.now() + 2000,
    });
    const side = await waitFor(() => broker!.connections.find((c) => c.produce));
    await expect(sent).rejects.toMatchObject({ code: 'SEND_ABANDONED' });
    expect(side.produce!.acks).toBe(-1);
    expect(side.produce!.timeoutMs).toBeGreaterThan(0);
    expect(side.produce!.timeoutMs).toBeLessThanOrEqual(3000 - 500);
  }, 20_000);
});

describe('@platformatic/kafka producer over TLS', () => {
  it("names the broker it connects to (SNI), as kafkajs does: brokers behind a proxy or a cloud's router are told apart by it", async () => {
    broker = await startFakeBroker(certificates, 'localhost');
    producer = await createPlatformaticProducer({
      brokers: broker.brokers,
      ssl: true,
      sslCa: certificates.caPem,
      requestTimeoutMs: 3000,
    });
    const sent = producer.send([{ ...bigRecord, value: Buffer.from('v') }], {
      settleBy: deadlineClock.now() + 2000,
    });
    sent.catch(() => undefined);
    await waitFor(() => broker!.connections.find((c) => c.produce));
    expect(broker.connections.map((c) => c.servername)).toEqual(
      broker.connections.map(() => 'localhost'),
    );
  }, 20_000);
});

describe('the @platformatic/kafka producer options', () => {
  it('hold the contract: acks=all, not idempotent, the Java partitioner in linear time, topics on first use', () => {
    const options = platformaticProducerOptions({ brokers: ['127.0.0.1:9092'] });
    expect(options).toMatchObject({ acks: -1, idempotent: false, autocreateTopics: true });
    // SNI over TLS whatever the bootstrap list gives: the brokers the cluster advertises, which
    // the client dials next, may be names behind a router that picks them by it.
    const tls = (brokers: string[]) =>
      platformaticProducerOptions({ brokers, ssl: true }).tlsServerName;
    expect(tls(['kafka-0.internal:9093', 'kafka-1.internal:9093'])).toBe(true);
    expect(tls(['10.0.0.7:9093'])).toBe(true);
    expect(platformaticProducerOptions({ brokers: ['kafka:9092'] }).tlsServerName).toBeUndefined();
    // Not the library's compatibilityPartitioner: the same partitions, in time quadratic in the
    // key's length (murmur2.ts).
    expect(options.partitioner).toBe(javaKeyPartitioner);
  });
});
