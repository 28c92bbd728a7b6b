import { deleteCommit, putCommit, waitFor, type RunningSystem } from '@commitlog/testkit';
import type { CollectedRecord } from '@commitlog/kafka';
import { allIdsRead, readUntil } from './kafka-check.ts';
import { orderProblemsAllowingReplays } from './order-check.ts';

/**
 * A load that keeps per-key order checkable: `clients` concurrent clients, each posting the next
 * version of its own keys in sequence (as Riak's put FSM hands a key's commits over), every
 * tenth version a delete, until `versions` per key or `stop()`. A refused post (503 while Redis
 * or a worker changes) is tried again, as the hook does.
 */
export interface KeyedLoad {
  /** Commit ids the ingest answered 202 for, per key, in the order it answered. */
  answered: Map<string, string[]>;
  accepted(): number;
  /** Lanes the ingest filed the commits in. */
  lanes: Set<number>;
  /** Waits until at least `n` commits were accepted in all. */
  untilAccepted(n: number): Promise<void>;
  stop(): void;
  /** Resolves when every client has finished. */
  done: Promise<void>;
}

export function startKeyedLoad(
  system: RunningSystem,
  options: { bucket: string; keys: number; clients: number; versions?: number },
): KeyedLoad {
  const answered = new Map<string, string[]>();
  const lanes = new Set<number>();
  let accepted = 0;
  let stopped = false;
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  for (const key of keys) answered.set(key, []);

  const client = async (c: number): Promise<void> => {
    const mine = keys.filter((_, i) => i % options.clients === c);
    for (let version = 0; !stopped && version < (options.versions ?? Infinity); version++) {
      for (const key of mine) {
        const commit =
          version % 10 === 9
            ? deleteCommit({ bucket: options.bucket, key })
            : putCommit({ bucket: options.bucket, key, value: `v${version}` });
        for (;;) {
          const response = await system.post(commit).catch(() => undefined);
          if (response?.status === 202) {
            const body = response.body as { id: string; lane: number };
            answered.get(key)!.push(body.id);
            lanes.add(body.lane);
            accepted++;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.clients }, (_, c) => client(c))).then(
    () => undefined,
  );
  return {
    answered,
    lanes,
    accepted: () => accepted,
    untilAccepted: async (n) => {
      await waitFor(() => accepted >= n, {
        timeoutMs: 60_000,
        description: `${n} accepted commits`,
      });
    },
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/**
 * Reads `topic` until the last answered commit of every key is there, then returns the order
 * problems (empty when every key's commits arrived, all of them, in the order answered). A key's
 * commits may land again in an in-order replay (A B A B): a produce request is sent again when
 * a broker refused part of it, or when its answer did not come by its settle-by time although
 * Kafka stored it (`orderProblemsAllowingReplays`).
 */
export async function deliveryProblems(
  brokers: string[],
  topic: string,
  answered: ReadonlyMap<string, readonly string[]>,
): Promise<{ problems: string[]; records: CollectedRecord[] }> {
  const last = new Set([...answered.values()].flatMap((ids) => ids.slice(-1)));
  const records = await readUntil(brokers, [topic], allIdsRead(last), 120_000);
  return { problems: orderProblemsAllowingReplays(answered, records), records };
}
