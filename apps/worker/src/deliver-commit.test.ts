import { CommitlogError, type KafkaRecord } from '@commitlog/core';
import { KafkaProduceError } from '@commitlog/kafka';
import type { LaneJob } from '@commitlog/queue';
import { createLogger, type Logger } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { createDeliveryHandler, type DeliveryEvents } from './deliver-commit.ts';

const ACCEPTED = Date.parse('2026-11-24T12:00:00.000Z');
const policy = { baseDelayMs: 100, maxDelayMs: 10_000, ttlMs: 60_000 };
const silent = createLogger({ service: 'test', level: 'silent' });

function job(overrides: Partial<LaneJob> = {}): LaneJob {
  return {
    id: 'c1',
    lane: 3,
    data: {
      id: 'c1',
      lane: 3,
      receivedAt: new Date(ACCEPTED).toISOString(),
      commit: {
        bucketType: 'default',
        bucket: 'transactions',
        key: 'txn-1',
        op: 'put',
        vclock: 'AAEC',
        siblings: [{ value: Buffer.from('hello').toString('base64') }],
      },
    },
    retry: undefined,
    stalledCount: 0,
    followers: [],
    lockedUntil: ACCEPTED + 24_000,
    ...overrides,
  };
}

/** A delivered outcome: the job, its first `followers` followers, and those further back named. */
function delivered(followers: number, deliveredAhead: string[] = []) {
  return { kind: 'delivered', followers, deliveredAhead };
}

function recorder() {
  const seen: string[] = [];
  const events: DeliveryEvents = {
    delivered: (_lane, ms) => seen.push(`delivered ${ms}`),
    retried: (_lane, reason, topic) => seen.push(`retried ${reason} to ${topic}`),
    failed: (_lane, reason, topic) => seen.push(`failed ${reason}${topic ? ` to ${topic}` : ''}`),
  };
  return { seen, events };
}

function handler(
  send: (
    records: readonly KafkaRecord[],
    settleBy?: number,
    options?: { alone?: boolean },
  ) => Promise<void>,
  now: number,
  logger: Logger = silent,
) {
  const { seen, events } = recorder();
  const handle = createDeliveryHandler({
    gatherer: { send },
    routes: [],
    policy,
    events,
    logger,
    now: () => now,
    random: () => 0.5,
  });
  return { handle, seen };
}

describe('delivery handler', () => {
  it('produces the mapped record and reports commit-to-Kafka latency', async () => {
    const sent: KafkaRecord[] = [];
    const { handle, seen } = handler((records) => {
      sent.push(...records);
      return Promise.resolve();
    }, ACCEPTED + 42);
    expect(await handle(job())).toEqual(delivered(0));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe('riak.default.transactions');
    expect(Buffer.from(sent[0]!.value!).toString()).toBe('hello');
    expect(seen).toEqual(['delivered 42']);
  });

  it('gives the producer until the end of its lock, and retries a send that ran out of it', async () => {
    const settleBys: (number | undefined)[] = [];
    const { handle, seen } = handler((_records, settleBy) => {
      settleBys.push(settleBy);
      return Promise.reject(
        new KafkaProduceError('SEND_ABANDONED', 'produce abandoned', { retriable: true }),
      );
    }, ACCEPTED + 1_000);
    expect(await handle(job({ lockedUntil: ACCEPTED + 7_000 }))).toMatchObject({
      kind: 'retry',
      progress: { attempt: 1, lastError: 'produce abandoned' },
    });
    expect(settleBys).toEqual([ACCEPTED + 7_000]);
    expect(seen).toEqual(['retried send-abandoned to riak.default.transactions']);
  });

  it("sends alone the retry of a job a broker's answer failed, with the others one an outage failed", async () => {
    const refused = new KafkaProduceError('NOT_ENOUGH_REPLICAS', 'not enough replicas', {
      retriable: true,
      fromBroker: true,
    });
    const unreachable = new KafkaProduceError('KAFKA_PRODUCE_FAILED', 'connect ECONNREFUSED', {
      retriable: true,
    });
    const alone: (boolean | undefined)[] = [];
    const failing = (error: Error) =>
      handler((_records, _settleBy, options) => {
        alone.push(options?.alone);
        return Promise.reject(error);
      }, ACCEPTED + 1_000).handle;
    const afterRefusal = await failing(refused)(job());
    const afterOutage = await failing(unreachable)(job());
    expect(afterRefusal).toMatchObject({ kind: 'retry', progress: { alone: true } });
    expect(afterOutage).toMatchObject({ kind: 'retry' });
    expect(afterOutage.kind === 'retry' && afterOutage.progress.alone).toBeFalsy();
    const retried = (outcome: typeof afterRefusal) =>
      job({ retry: outcome.kind === 'retry' ? outcome.progress : undefined });
    await failing(refused)(retried(afterRefusal));
    await failing(refused)(retried(afterOutage));
    expect(alone).toEqual([false, false, true, false]);
  });

  it('holds the lane with backoff on a retriable error, counting attempts', async () => {
    const now = ACCEPTED + 1_000;
    const { handle, seen } = handler(() => Promise.reject(new Error('broker down')), now);
    const first = await handle(job());
    expect(first).toMatchObject({
      kind: 'retry',
      progress: { attempt: 1, lastError: 'broker down', heldSince: now },
    });
    const second = await handle(
      job({ retry: { attempt: 1, lastError: 'x', nextTryAt: now, heldSince: ACCEPTED } }),
    );
    expect(second).toMatchObject({ kind: 'retry', progress: { attempt: 2, heldSince: ACCEPTED } });
    if (first.kind === 'retry' && second.kind === 'retry') {
      expect(second.delayMs).toBeGreaterThan(first.delayMs);
      expect(second.progress.nextTryAt).toBe(now + second.delayMs);
    }
    expect(seen).toEqual([
      'retried error to riak.default.transactions',
      'retried error to riak.default.transactions',
    ]);
  });

  it('fails for good with reason expired once the TTL is over', async () => {
    const { handle, seen } = handler(
      () => Promise.reject(new Error('broker down')),
      ACCEPTED + policy.ttlMs + 1,
    );
    const outcome = await handle(
      job({ retry: { attempt: 9, lastError: 'x', nextTryAt: 0, heldSince: ACCEPTED } }),
    );
    expect(outcome).toMatchObject({ kind: 'fail', reason: 'expired' });
    expect(seen).toEqual(['failed expired to riak.default.transactions']);
  });

  it('holds a job whose backoff would pass its TTL only until the TTL, for its last try', async () => {
    const { handle, seen } = handler(
      () => Promise.reject(new Error('broker down')),
      ACCEPTED + policy.ttlMs - 50,
    );
    const outcome = await handle(
      job({ retry: { attempt: 9, lastError: 'x', nextTryAt: 0, heldSince: ACCEPTED } }),
    );
    // Attempt 10's backoff would be seconds (capped at 10 s): clipped to the 50 ms left.
    expect(outcome).toMatchObject({ kind: 'retry', delayMs: 50, progress: { attempt: 10 } });
    expect(seen).toEqual(['retried error to riak.default.transactions']);
  });

  it('does not try again a job that stalled twice once its TTL is over: it fails as expired', async () => {
    // A commit whose delivery kills its worker every time never returns a failure, so only this
    // check stops it holding its lane past its TTL.
    let sends = 0;
    const send = (): Promise<void> => {
      sends++;
      return Promise.resolve();
    };
    const late = handler(send, ACCEPTED + policy.ttlMs);
    expect(await late.handle(job({ stalledCount: 3 }))).toEqual({
      kind: 'fail',
      reason: 'expired',
      message: `not delivered within its TTL of ${policy.ttlMs} ms; its worker died or hung while holding it 3 times`,
    });
    expect(late.seen).toEqual(['failed expired to riak.default.transactions']);
    expect(sends).toBe(0);

    // Within its TTL a stalled job is tried as any other; past it, one that never stalled gets
    // its attempt (it may have waited out its TTL behind a held lane), and so does one that
    // stalled once (its worker was killed, perhaps by a rolling restart, not by the commit).
    const early = handler(send, ACCEPTED + policy.ttlMs - 1);
    expect(await early.handle(job({ stalledCount: 3 }))).toEqual(delivered(0));
    expect(await late.handle(job({ stalledCount: 0 }))).toEqual(delivered(0));
    expect(await late.handle(job({ stalledCount: 1 }))).toEqual(delivered(0));
    expect(sends).toBe(3);

    // A job that stalled long ago, and has returned retries since, gets its last try at its TTL.
    const retry = { attempt: 40, lastError: 'broker down', nextTryAt: ACCEPTED, heldSince: 0 };
    const stalledLongAgo = job({ stalledCount: 2, retry: { ...retry, stalledCount: 2 } });
    expect(await late.handle(stalledLongAgo)).toEqual(delivered(0));
    expect(sends).toBe(4);
    // Once since its last retry returned, it gets one more; twice, it does not.
    const stalledOnceSince = job({ stalledCount: 3, retry: { ...retry, stalledCount: 2 } });
    expect(await late.handle(stalledOnceSince)).toEqual(delivered(0));
    expect(sends).toBe(5);
    const stalledTwiceSince = job({ stalledCount: 4, retry: { ...retry, stalledCount: 2 } });
    expect(await late.handle(stalledTwiceSince)).toMatchObject({ kind: 'fail', reason: 'expired' });
    expect(sends).toBe(5);
  });

  it('records in its retry how many times the job had stalled', async () => {
    const { handle } = handler(() => Promise.reject(new Error('broker down')), ACCEPTED + 10);
    expect(await handle(job({ stalledCount: 2 }))).toMatchObject({
      kind: 'retry',
      progress: { attempt: 1, stalledCount: 2 },
    });
  });

  it('counts the TTL of a re-driven commit from its re-drive, not from its acceptance', async () => {
    const now = ACCEPTED + policy.ttlMs * 3;
    const { handle, seen } = handler(() => Promise.reject(new Error('broker down')), now);
    const redriven = job();
    redriven.data.redrivenAt = new Date(now - 1_000).toISOString();
    expect(await handle(redriven)).toMatchObject({
      kind: 'retry',
      progress: { attempt: 1, heldSince: now },
    });
    expect(seen).toEqual(['retried error to riak.default.transactions']);

    // Without the re-drive, the same commit at the same time has long expired.
    expect(await handle(job())).toMatchObject({ kind: 'fail', reason: 'expired' });
  });

  it('measures a re-driven commit (and a re-driven follower) to Kafka from its re-drive', async () => {
    const redrivenAt = ACCEPTED + 2 * 86_400_000;
    const { handle, seen } = handler(() => Promise.resolve(), redrivenAt + 30);
    const redriven = job();
    redriven.data.redrivenAt = new Date(redrivenAt).toISOString();
    const follower = job({ id: 'c2' });
    follower.data = {
      ...follower.data,
      id: 'c2',
      redrivenAt: new Date(redrivenAt + 10).toISOString(),
    };
    redriven.followers = [{ id: 'c2', data: follower.data }];
    expect(await handle(redriven)).toEqual(delivered(1));
    expect(seen).toEqual(['delivered 20', 'delivered 30']);
  });

  it('holds the lane, sending nothing, for a job with a field a newer version stored', async () => {
    const sent: KafkaRecord[] = [];
    const { handle, seen } = handler((records) => {
      sent.push(...records);
      return Promise.resolve();
    }, ACCEPTED + 1_000);
    const newer = job();
    (newer.data.commit.siblings[0] as Record<string, unknown>).contentHash = 'x';
    const outcome = await handle(newer);
    expect(outcome).toMatchObject({ kind: 'retry', progress: { attempt: 1 } });
    expect(outcome.kind === 'retry' && outcome.progress.lastError).toContain(
      '(commit.siblings[0].contentHash)',
    );
    expect(sent).toEqual([]);
    expect(seen).toEqual(['retried newer-job-format to riak.default.transactions']);
    // A form of a binary this version cannot map is held too, not failed as poison: its lane
    // would move on, and its re-drive land after the key's newer versions.
    const replaced = job();
    (replaced.data.commit.siblings[0] as Record<string, unknown>).contentType = { hex: 'ff' };
    (replaced.data.commit as Record<string, unknown>).key = { hex: '00' };
    expect(await handle(replaced)).toMatchObject({
      kind: 'retry',
      progress: { lastError: expect.stringContaining('(commit.key.hex)') as string },
    });
    expect(sent).toEqual([]);
    // A field of the job's own, beside its commit, too; and once the TTL is over it expires.
    const late = handler(() => Promise.resolve(), ACCEPTED + policy.ttlMs + 1);
    const topLevel = job();
    (topLevel.data as unknown as Record<string, unknown>).traceParent = '00-ab';
    expect(await late.handle(topLevel)).toMatchObject({ kind: 'fail', reason: 'expired' });
    expect(late.seen).toEqual(['failed expired to riak.default.transactions']);
  });

  it('fails at once, with its reason, on an error no retry can fix', async () => {
    const tooLarge = new CommitlogError('MESSAGE_TOO_LARGE', 'produce failed: too large', {
      retriable: false,
    });
    const { handle, seen } = handler(() => Promise.reject(tooLarge), ACCEPTED + 5);
    expect(await handle(job())).toMatchObject({ kind: 'fail', reason: 'too-large' });
    expect(seen).toEqual(['failed too-large to riak.default.transactions']);
  });

  it('fails a job it cannot map as poison, without trying Kafka', async () => {
    let called = false;
    const { handle } = handler(() => {
      called = true;
      return Promise.resolve();
    }, ACCEPTED);
    const broken = job();
    (broken.data.commit as { siblings: unknown }).siblings = [{ value: 17 }];
    expect(await handle(broken)).toMatchObject({ kind: 'fail', reason: 'poison' });
    expect(called).toBe(false);
  });

  it("neither logs nor keeps a value Node's error about a wrong type quotes", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'test',
      destination: { write: (line: string) => lines.push(line) },
    });
    const { handle } = handler(() => Promise.resolve(), ACCEPTED, logger);
    const broken = job();
    // A card number where the value's base64 belongs: Node's TypeError quotes it.
    (broken.data.commit as { siblings: unknown }).siblings = [{ value: 4111111111111111 }];
    const outcome = await handle(broken);
    expect(outcome).toMatchObject({
      kind: 'fail',
      reason: 'poison',
      message: expect.stringContaining('a field of the wrong type (TypeError)') as unknown,
    });
    expect(JSON.stringify(outcome)).not.toContain('4111111111111111');
    expect(lines.join('')).toContain('commit cannot be mapped to a Kafka record');
    expect(lines.join('')).not.toContain('4111111111111111');
  });

  it('delivers a job whose time in its lane does not parse, and fails it as expired rather than retrying it for ever', async () => {
    const edited = job();
    edited.data.redrivenAt = 'yesterday'; // a hand-edited job: its TTL could never end
    const delivering = handler(() => Promise.resolve(), ACCEPTED);
    expect(await delivering.handle(edited)).toEqual(delivered(0));
    expect(delivering.seen).toEqual(['delivered NaN']);

    const down = new KafkaProduceError('BROKER_UNAVAILABLE', 'no broker', { retriable: true });
    const failing = handler(() => Promise.reject(down), ACCEPTED);
    expect(await failing.handle(edited)).toMatchObject({ kind: 'fail', reason: 'expired' });
    expect(failing.seen).toEqual(['failed expired to riak.default.transactions']);
  });

  it('fails a job that holds no commit (its data in Redis did not parse) as poison, saying so', async () => {
    const { handle, seen } = handler(() => Promise.resolve(), ACCEPTED);
    const unreadable = job();
    unreadable.data = {} as LaneJob['data'];
    expect(await handle(unreadable)).toMatchObject({
      kind: 'fail',
      reason: 'poison',
      message: expect.stringContaining('the job holds no commit') as unknown,
    });
    expect(seen).toEqual(['failed poison']);
  });

  describe('with followers (the lane’s next jobs)', () => {
    function follower(n: number, receivedAt = new Date(ACCEPTED).toISOString(), key = `txn-f${n}`) {
      const data = job().data;
      return {
        id: `f${n}`,
        data: { ...data, id: `f${n}`, receivedAt, commit: { ...data.commit, key } },
      };
    }
    /** A newer version of the job's own object (key txn-1), waiting behind it. */
    const newerVersion = (n: number) => follower(n, undefined, 'txn-1');
    /** The keys of each request sent, and the answer: `fail(records)` rejects with an error. */
    function sender(fail: (keys: string[]) => Error | undefined) {
      const requests: string[][] = [];
      const send = (records: readonly KafkaRecord[]) => {
        const keys = records.map((r) => Buffer.from(r.key).toString());
        requests.push(keys);
        const error = fail(keys);
        return error ? Promise.reject(error) : Promise.resolve();
      };
      return { requests, send };
    }
    const tooLarge = () =>
      new CommitlogError('MESSAGE_TOO_LARGE', 'too large', { retriable: false });

    it('sends them in the same request, after the job, and says how many were delivered', async () => {
      const requests: string[][] = [];
      const { handle, seen } = handler((records) => {
        requests.push(records.map((r) => Buffer.from(r.key).toString()));
        return Promise.resolve();
      }, ACCEPTED + 10);
      const outcome = await handle(
        job({ followers: [follower(1), follower(2, new Date(ACCEPTED + 4).toISOString())] }),
      );
      expect(outcome).toEqual(delivered(2));
      expect(requests).toEqual([['txn-1', 'txn-f1', 'txn-f2']]);
      expect(seen).toEqual(['delivered 10', 'delivered 6', 'delivered 10']);
    });

    it('leaves out the followers from the first one it cannot map', async () => {
      const requests: number[] = [];
      const { handle } = handler((records) => {
        requests.push(records.length);
        return Promise.resolve();
      }, ACCEPTED);
      const broken = follower(2);
      (broken.data.commit as { siblings: unknown }).siblings = [{ value: 17 }];
      const outcome = await handle(job({ followers: [follower(1), broken, follower(3)] }));
      expect(outcome).toEqual(delivered(1));
      expect(requests).toEqual([2]);
    });

    it('leaves out the followers from the first one a newer version stored', async () => {
      const requests: string[][] = [];
      const { handle } = handler((records) => {
        requests.push(records.map((r) => Buffer.from(r.key).toString()));
        return Promise.resolve();
      }, ACCEPTED);
      const newer = follower(2);
      (newer.data.commit.siblings[0] as Record<string, unknown>).charset = 'utf-8';
      const outcome = await handle(job({ followers: [follower(1), newer, follower(3)] }));
      expect(outcome).toEqual(delivered(1));
      expect(requests).toEqual([['txn-1', 'txn-f1']]);
    });

    it('sends the job alone when the request with followers fails for good', async () => {
      const tooLarge = new CommitlogError('MESSAGE_TOO_LARGE', 'too large', { retriable: false });
      const requests: number[] = [];
      const { handle, seen } = handler((records) => {
        requests.push(records.length);
        return records.length > 1 ? Promise.reject(tooLarge) : Promise.resolve();
      }, ACCEPTED);
      expect(await handle(job({ followers: [follower(1)] }))).toEqual(delivered(0));
      expect(requests).toEqual([2, 1]);
      expect(seen).toEqual(['delivered 0']);
    });

    it("sends the job's next requests in requests of their own after a broker refused one for good", async () => {
      // Refused by the broker (a record too large): its partition may refuse again, and in a
      // request shared with other lanes' records it would fail those too (sent again: twice).
      const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'too large', {
        retriable: false,
        fromBroker: true,
      });
      const requests: { keys: number; alone: boolean | undefined }[] = [];
      const { handle } = handler((records, _settleBy, options) => {
        requests.push({ keys: records.length, alone: options?.alone });
        return records.length > 1 ? Promise.reject(tooLarge) : Promise.resolve();
      }, ACCEPTED);
      expect(await handle(job({ followers: [follower(1)] }))).toEqual(delivered(0));
      expect(requests).toEqual([
        { keys: 2, alone: false },
        { keys: 1, alone: true },
      ]);
    });

    it('sends the job again with the newer versions of its object when the request fails for good', async () => {
      // The request may have been stored in the job's partition and refused in another: sent
      // again alone, the job would land after its newer version (f2) and stay the key's last.
      const { requests, send } = sender((keys) =>
        keys.includes('txn-f1') ? tooLarge() : undefined,
      );
      const { handle } = handler(send, ACCEPTED);
      const outcome = await handle(job({ followers: [follower(1), newerVersion(2), follower(3)] }));
      // f2 is on Kafka now: completed with the job, not produced again in its turn.
      expect(outcome).toEqual(delivered(0, ['f2']));
      expect(requests).toEqual([
        ['txn-1', 'txn-f1', 'txn-1', 'txn-f3'],
        ['txn-1', 'txn-1'],
      ]);
    });

    it('sends the job alone when its newer versions are refused for good too', async () => {
      // Refused with the job in its partition, nothing of that partition was stored.
      const { requests, send } = sender((keys) => (keys.length > 1 ? tooLarge() : undefined));
      const { handle } = handler(send, ACCEPTED);
      const outcome = await handle(job({ followers: [newerVersion(1), follower(2)] }));
      expect(outcome).toEqual(delivered(0));
      expect(requests).toEqual([['txn-1', 'txn-1', 'txn-f2'], ['txn-1', 'txn-1'], ['txn-1']]);
    });

    it('retries a job with only the newer versions of its object, delivered with it', async () => {
      const { requests, send } = sender(() => undefined);
      const { handle } = handler(send, ACCEPTED);
      const retry = {
        attempt: 1,
        lastError: 'broker down',
        nextTryAt: ACCEPTED,
        heldSince: ACCEPTED,
      };
      const followers = [follower(1), newerVersion(2), follower(3)];
      expect(await handle(job({ retry, followers }))).toEqual(delivered(0, ['f2']));
      expect(await handle(job({ retry, followers: [follower(1)] }))).toEqual(delivered(0));
      expect(requests).toEqual([['txn-1', 'txn-1'], ['txn-1']]);
    });

    it('delivers the newer versions a retried job takes along, those right behind it as followers', async () => {
      const { requests, send } = sender(() => undefined);
      const { handle, seen } = handler(send, ACCEPTED + 5);
      const retry = {
        attempt: 2,
        lastError: 'broker down',
        nextTryAt: ACCEPTED,
        heldSince: ACCEPTED,
      };
      const followers = [newerVersion(1), newerVersion(2), follower(3), newerVersion(4)];
      // f1 and f2 are a prefix of the lane, completed as followers; f4, behind f3, by its id.
      expect(await handle(job({ retry, followers }))).toEqual(delivered(2, ['f4']));
      expect(requests).toEqual([['txn-1', 'txn-1', 'txn-1', 'txn-1']]);
      expect(seen).toEqual(['delivered 5', 'delivered 5', 'delivered 5', 'delivered 5']);
    });

    /** A broker's answer a retry may fix, as for a topic the broker does not create itself. */
    const noSuchTopic = () =>
      new KafkaProduceError('UNKNOWN_TOPIC_OR_PARTITION', 'produce failed: no such topic', {
        retriable: true,
        fromBroker: true,
      });

    it("sends the job again at once with its own object's records when a broker answers the request with followers with an error", async () => {
      // f1's topic does not exist yet: held for a backoff, counted to the job's own topic, the
      // job would have paid for it, as would every job ahead of f1 in the lane.
      const { requests, send } = sender((keys) =>
        keys.includes('txn-f1') ? noSuchTopic() : undefined,
      );
      const sentAlone: boolean[] = [];
      const { handle, seen } = handler((records, _settleBy, options) => {
        sentAlone.push(options?.alone === true);
        return send(records);
      }, ACCEPTED);
      const outcome = await handle(job({ followers: [follower(1), newerVersion(2)] }));
      expect(outcome).toEqual(delivered(0, ['f2']));
      expect(requests).toEqual([
        ['txn-1', 'txn-f1', 'txn-1'],
        ['txn-1', 'txn-1'],
      ]);
      // Again alone: the broker's trouble may be its own partition's, and in a shared request
      // it would fail other lanes' records, sent again and stored twice.
      expect(sentAlone).toEqual([false, true]);
      expect(seen).toEqual(['delivered 0', 'delivered 0']);
    });

    it("retries the job, to be sent alone, when the broker's answer fails its own request too", async () => {
      const { requests, send } = sender(() => noSuchTopic());
      const { handle, seen } = handler(send, ACCEPTED);
      expect(await handle(job({ followers: [follower(1)] }))).toMatchObject({
        kind: 'retry',
        progress: { attempt: 1, alone: true },
      });
      expect(requests).toEqual([['txn-1', 'txn-f1'], ['txn-1']]);
      expect(seen).toEqual(['retried unknown-topic-or-partition to riak.default.transactions']);
    });

    it('retries the job when the request with followers may pass later', async () => {
      const requests: number[] = [];
      // No broker reached: everyone's trouble, not sent again before the job's backoff.
      const { handle, seen } = handler((records) => {
        requests.push(records.length);
        return Promise.reject(
          new KafkaProduceError('KAFKA_PRODUCE_FAILED', 'produce failed: broker down', {
            retriable: true,
          }),
        );
      }, ACCEPTED);
      expect(await handle(job({ followers: [follower(1)] }))).toMatchObject({
        kind: 'retry',
        progress: { attempt: 1 },
      });
      expect(requests).toEqual([2]);
      expect(seen).toEqual(['retried kafka-produce-failed to riak.default.transactions']);
    });
  });
});
