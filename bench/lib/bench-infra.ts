/**
 * What every bench tool measures against: a private Redis (AOF, fsync always, as production runs
 * it) and a private Kafka broker on free ports, and the bench context over them.
 */
import { startPrivateKafka, startPrivateRedis, uniqueName } from '@commitlog/testkit';
import { randomBytes } from 'node:crypto';
import { createBenchContext, type BenchContext } from './bench-context.ts';
import { listeningPid } from './listening-pid.ts';

export interface BenchInfra {
  ctx: BenchContext;
  /** Closes the context, then stops Kafka and Redis. Never throws: it runs in `finally` blocks. */
  stop(): Promise<void>;
}

export async function startBenchInfra(options: {
  /** Prefix of the run's unique tag (topic and bucket names). */
  tag: string;
  progress: (line: string) => void;
  /** The Redis's `appendfsync`. Default `always`, as production runs it. */
  redisFsync?: 'always' | 'everysec';
}): Promise<BenchInfra> {
  const redis = await startPrivateRedis({ appendfsync: options.redisFsync ?? 'always' });
  const kafka = await startPrivateKafka().catch(async (error: unknown) => {
    await redis.cleanup();
    throw error;
  });
  const stopServers = async (): Promise<void> => {
    await kafka.cleanup().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
  };
  try {
    const kafkaPid = listeningPid(Number(kafka.brokers[0]!.split(':')[1]));
    const ctx = await createBenchContext({
      runTag: uniqueName(options.tag),
      secret: randomBytes(24).toString('hex'),
      redisUrl: redis.url,
      redisPid: () => redis.pid(),
      brokers: kafka.brokers,
      kafkaPid: () => kafkaPid,
      progress: options.progress,
    });
    return {
      ctx,
      async stop() {
        await ctx.close().catch(() => undefined);
        await stopServers();
      },
    };
  } catch (error) {
    await stopServers();
    throw error;
  }
}
