/**
 * The system under fault: a Redis (its own `redis-server`, AOF on), a Kafka broker of its own,
 * the ingest and the workers as real processes, and optionally a TCP proxy on the ingest→Redis,
 * worker→Redis and worker→Kafka paths. Nothing shared is touched: the machine's Redis and Kafka
 * may be serving other tests meanwhile.
 */
import { defaultTopic } from '@commitlog/core';
import {
  freePort,
  startPrivateKafka,
  startPrivateRedis,
  startSystem,
  uniqueName,
  type PrivateKafka,
  type PrivateRedis,
  type PrivateRedisOptions,
  type RunningSystem,
} from '@commitlog/testkit';
import { withAdmin } from '../support/kafka-check.ts';
import { startLoad, type LoadOptions, type LoadTally, type RunningLoad } from './fault-load.ts';
import { checkDelivery, type DeliveryReport } from './fault-oracle.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface ClusterOptions {
  /** Worker processes. Default 2. */
  workers?: number;
  /** Lanes. Default 8. */
  lanes?: number;
  /** Partitions of the scenario's topic. Default 4. */
  partitions?: number;
  redis?: PrivateRedisOptions;
  /** Which paths get a fault proxy. */
  proxies?: { ingestRedis?: boolean; workerRedis?: boolean; workerKafka?: boolean };
  /**
   * One more worker, reaching Redis and Kafka only through proxies of its own (`loneRedis`,
   * `loneKafka`: a broker listener advertised at the proxy), which cut it off alone.
   */
  loneWorker?: boolean;
  /** Extra environment for every process. */
  env?: Record<string, string>;
}

export interface ClusterProxies {
  ingestRedis?: TcpProxy;
  workerRedis?: TcpProxy;
  workerKafka?: TcpProxy;
  loneRedis?: TcpProxy;
  loneKafka?: TcpProxy;
}

export interface FaultCluster {
  redis: PrivateRedis;
  kafka: PrivateKafka;
  system: RunningSystem;
  proxies: ClusterProxies;
  bucket: string;
  topic: string;
  lanes: number;
  /** A new bucket, with its topic created, for one more phase of a scenario. */
  phase(name: string): Promise<string>;
  /** Starts the load on the scenario's bucket (or another one, for a second phase). */
  load(
    options: Omit<LoadOptions, 'ingestUrl' | 'secret' | 'bucket'> & { bucket?: string },
  ): RunningLoad;
  /** The oracle over the topic of the scenario's bucket (or of `bucket`) and the lanes. */
  check(
    tally: LoadTally,
    faultEndedAt: number,
    options?: { drainTimeoutMs?: number; bucket?: string },
  ): Promise<DeliveryReport>;
  /** Stops everything it started; never throws. */
  stop(): Promise<void>;
}

const redisProxyUrl = (proxy: TcpProxy | undefined): Record<string, string> =>
  proxy ? { REDIS_URL: `redis://${proxy.address}` } : {};

/**
 * The scenarios' topics stamp each record with the broker's append time: the oracle's "first
 * reached Kafka" and the rows' "delivered while Kafka was down" are about when the broker took a
 * record, which a producer's create time is not (a record made just before a stop and appended
 * after the restart would count as delivered during the outage).
 */
const APPEND_TIME = { 'message.timestamp.type': 'LogAppendTime' };

export async function startFaultCluster(options: ClusterOptions = {}): Promise<FaultCluster> {
  const lanes = options.lanes ?? 8;
  const bucket = uniqueName('faults');
  const topic = defaultTopic('default', bucket);
  const proxies: ClusterProxies = {};
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };

  try {
    const redis = await startPrivateRedis(options.redis);
    stops.push(() => redis.cleanup());
    const kafkaPort = await freePort();
    if (options.proxies?.workerKafka) {
      proxies.workerKafka = await startTcpProxy({
        target: { host: '127.0.0.1', port: kafkaPort },
      });
      stops.push(() => proxies.workerKafka!.close());
    }
    const advertisedPort = proxies.workerKafka?.port ?? kafkaPort;
    // The lone worker's broker listener, reached through its proxy.
    const loneListenPort = options.loneWorker ? await freePort() : undefined;
    const loneKafka =
      loneListenPort === undefined
        ? undefined
        : await startTcpProxy({ target: { host: '127.0.0.1', port: loneListenPort } });
    if (loneKafka) {
      proxies.loneKafka = loneKafka;
      stops.push(() => loneKafka.close());
    }
    const kafka = await startPrivateKafka({
      listenPort: kafkaPort,
      ...(proxies.workerKafka ? { advertisedPort } : {}),
      ...(loneKafka
        ? {
            // A second listener for the lone worker, advertised at its proxy.
            extraProperties: ({ port, controllerPort }) =>
              [
                `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},LONE://127.0.0.1:${loneListenPort}`,
                `advertised.listeners=PLAINTEXT://127.0.0.1:${advertisedPort},LONE://127.0.0.1:${loneKafka.port}`,
                'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,LONE:PLAINTEXT',
                '',
              ].join('\n'),
          }
        : {}),
    });
    stops.push(() => kafka.cleanup());
    for (const path of ['ingestRedis', 'workerRedis', 'loneRedis'] as const) {
      if (path === 'loneRedis' ? !options.loneWorker : !options.proxies?.[path]) continue;
      const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: redis.port } });
      proxies[path] = proxy;
      stops.push(() => proxy.close());
    }
    await withAdmin(kafka.brokers, (a) =>
      a.createTopic(topic, { partitions: options.partitions ?? 4, configs: APPEND_TIME }),
    );
    const system = await startSystem({
      redisUrl: redis.url,
      kafkaBrokers: kafka.brokers,
      workers: options.workers ?? 2,
      env: { LANES: String(lanes), ...options.env },
      ingestEnv: redisProxyUrl(proxies.ingestRedis),
      workerEnv: redisProxyUrl(proxies.workerRedis),
    });
    if (proxies.loneRedis && proxies.loneKafka) {
      await system.startWorker({
        REDIS_URL: `redis://${proxies.loneRedis.address}`,
        KAFKA_BROKERS: proxies.loneKafka.address,
      });
    }
    // Not system.stop(): it deletes the test's keys, which waits forever on a Redis a fault broke;
    // the private Redis goes away whole.
    stops.push(() => Promise.all([system.ingest, ...system.workers].map((p) => p.stop())));

    return {
      redis,
      kafka,
      system,
      proxies,
      bucket,
      topic,
      lanes,
      async phase(name) {
        const phaseBucket = `${bucket}-${name}`;
        await withAdmin(kafka.brokers, (a) =>
          a.createTopic(defaultTopic('default', phaseBucket), {
            partitions: options.partitions ?? 4,
            configs: APPEND_TIME,
          }),
        );
        return phaseBucket;
      },
      load: (load) =>
        startLoad({ bucket, ...load, ingestUrl: system.ingestUrl, secret: system.secret }),
      check: (tally, faultEndedAt, check = {}) =>
        checkDelivery({
          brokers: kafka.brokers,
          topic: check.bucket === undefined ? topic : defaultTopic('default', check.bucket),
          tally,
          redisUrl: redis.url,
          prefix: system.prefix,
          lanes,
          faultEndedAt,
          ...(check.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: check.drainTimeoutMs }),
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
