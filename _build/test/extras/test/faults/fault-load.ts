/**
 * The load of the fault tests: signed commits posted at a fixed rate, as the Riak hook would post
 * them, each retried until the ingest answers 2xx. Every 2xx is recorded with when it was asked
 * and answered, so that the oracle can check it reached Kafka and that no 2xx came from a window
 * in which the ingest could not have stored it.
 *
 * Commits of one key go one after another (the next is posted once the previous one is accepted),
 * so the order the ingest accepted them in is known without doubt; that is the order Kafka must
 * show. Keys are many, so many requests are in flight at once.
 */
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { putCommit } from '@commitlog/testkit';

export interface AcceptedCommit {
  id: string;
  key: string;
  /** Epoch ms the commit was made (its first try). */
  generatedAt: number;
  /** Epoch ms the accepted request was sent and answered. */
  sentAt: number;
  answeredAt: number;
  /** The ingest said it already had it (a retry after a lost answer). */
  duplicate: boolean;
  /** Requests it took (1 = accepted at once). */
  tries: number;
}

export interface LoadTally {
  /** Commits generated (each is posted until accepted or the load gives up). */
  generated: number;
  accepted: AcceptedCommit[];
  /** Answers other than 2xx by status (0 = no answer: refused connection, reset, time-out). */
  refusals: Map<number, number>;
  /** Commits never accepted before the load gave up on them. */
  abandoned: number;
  /** Accepted ids per key, in the order they were accepted. */
  perKey: Map<string, string[]>;
}

export interface LoadOptions {
  ingestUrl: string;
  secret: string;
  bucket: string;
  /** Commits per second. */
  perSecond: number;
  /** Distinct keys the commits cycle through. Default 200. */
  keys?: number;
  /** Bytes of each value. Default 200. */
  valueBytes?: number;
  /** One request's time-out in ms. Default 10000. */
  requestTimeoutMs?: number;
}

export interface RunningLoad {
  tally: LoadTally;
  /** Commits generated and not yet accepted. */
  pending(): number;
  /**
   * Stops generating, then waits for the commits still unaccepted (retrying them) for at most
   * `drainMs` (default 120000); gives up on the rest, which count as abandoned.
   */
  stop(drainMs?: number): Promise<LoadTally>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the ingest answered, or status 0 when it did not answer. */
async function postOnce(
  options: LoadOptions,
  body: Buffer,
): Promise<{ status: number; id?: string; duplicate?: boolean; retryAfterS?: number }> {
  try {
    const response = await fetch(`${options.ingestUrl}/v1/commits`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signRequest(options.secret, body, Date.now() / 1000),
      },
      body,
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    const text = await response.text();
    if (response.status !== 202) {
      const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
      return { status: response.status, ...(retryAfter > 0 ? { retryAfterS: retryAfter } : {}) };
    }
    const parsed = JSON.parse(text) as { id: string; duplicate: boolean };
    return { status: 202, id: parsed.id, duplicate: parsed.duplicate };
  } catch {
    return { status: 0 };
  }
}

/** Starts posting at once; runs until `stop`. */
export function startLoad(options: LoadOptions): RunningLoad {
  const keys = options.keys ?? 200;
  const filler = 'x'.repeat(options.valueBytes ?? 200);
  const tally: LoadTally = {
    generated: 0,
    accepted: [],
    refusals: new Map(),
    abandoned: 0,
    perKey: new Map(),
  };
  const chains = new Map<string, Promise<void>>();
  let stopping = false;
  let giveUpAt = Infinity;
  let settled = 0;

  async function postUntilAccepted(key: string, n: number, generatedAt: number): Promise<void> {
    const body = Buffer.from(
      JSON.stringify(
        putCommit({ bucket: options.bucket, key, value: `{"n":${n},"f":"${filler}"}` }),
      ),
    );
    let backoffMs = 100;
    for (let tries = 1; Date.now() < giveUpAt; tries++) {
      const sentAt = Date.now();
      const answer = await postOnce(options, body);
      if (answer.status === 202 && answer.id !== undefined) {
        const accepted: AcceptedCommit = {
          id: answer.id,
          key,
          generatedAt,
          sentAt,
          answeredAt: Date.now(),
          duplicate: answer.duplicate === true,
          tries,
        };
        tally.accepted.push(accepted);
        const ids = tally.perKey.get(key) ?? [];
        ids.push(answer.id);
        tally.perKey.set(key, ids);
        return;
      }
      tally.refusals.set(answer.status, (tally.refusals.get(answer.status) ?? 0) + 1);
      // As the hook does: honour Retry-After, otherwise back off, capped at a second.
      await sleep(answer.retryAfterS !== undefined ? answer.retryAfterS * 1000 : backoffMs);
      backoffMs = Math.min(1000, backoffMs * 2);
    }
    tally.abandoned++;
  }

  const generating = (async () => {
    const started = Date.now();
    for (let n = 0; !stopping; n++) {
      const due = started + (n * 1000) / options.perSecond;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (stopping) break;
      const key = `k${n % keys}`;
      tally.generated++;
      const generatedAt = Date.now();
      const previous = chains.get(key) ?? Promise.resolve();
      chains.set(
        key,
        previous
          .then(() => postUntilAccepted(key, n, generatedAt))
          .finally(() => {
            settled++;
          }),
      );
    }
  })();

  return {
    tally,
    pending: () => tally.generated - settled,
    async stop(drainMs = 120_000) {
      stopping = true;
      await generating;
      giveUpAt = Date.now() + drainMs;
      await Promise.all(chains.values());
      return tally;
    },
  };
}
