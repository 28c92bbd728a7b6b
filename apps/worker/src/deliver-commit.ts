import {
  CommitlogError,
  isExpired,
  routeFor,
  toKafkaRecord,
  type KafkaRecord,
  type RetryPolicy,
  type RouteRule,
} from '@commitlog/core';
import {
  holdsCommit,
  unknownJobField,
  type CommitJobData,
  type LaneFollower,
  type LaneJob,
  type LaneOutcome,
} from '@commitlog/queue';
import { KafkaProduceError } from '@commitlog/kafka';
import type { Logger } from '@commitlog/runtime';
import { classifyError } from './classify-error.ts';
import { failureVerdict } from './failure-verdict.ts';
import { NewerJobFormatError } from './newer-job-format.ts';
import type { RecordGatherer, SendAlone } from './record-gatherer.ts';

/** The failure reason of a job that cannot even be turned into a Kafka record. */
export const POISON_REASON = 'poison';

/** What the delivery reports; the worker's metrics implement it. */
export interface DeliveryEvents {
  delivered(lane: number, commitToKafkaMs: number): void;
  /** `topic`: the record's Kafka topic; none when it cannot be told (a newer job's). */
  retried(lane: number, reason: string, topic?: string): void;
  /** `topic`: the record's Kafka topic; none for a job that cannot be made into a record. */
  failed(lane: number, reason: string, topic?: string): void;
}

export interface DeliveryDeps {
  gatherer: Pick<RecordGatherer, 'send'>;
  routes: readonly RouteRule[];
  policy: RetryPolicy;
  events: DeliveryEvents;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

/** Which of a job's followers went to Kafka with it (see `LaneOutcome`). */
interface Delivered {
  followers: number;
  deliveredAhead: string[];
}

/**
 * When a commit entered its lane last (epoch ms): its acceptance, or its re-drive. Its TTL counts
 * from then, and so does its commit→Kafka time: a failure re-driven after days is not days slow.
 */
function queuedAtMs(data: CommitJobData): number {
  return Date.parse(data.redrivenAt ?? data.receivedAt);
}

/**
 * Delivers one commit job: maps it to its Kafka record, produces it, and decides what happens on
 * failure: hold the lane and retry with backoff until the commit's TTL, or fail for good.
 * The job's followers (the lane's next jobs) ride in the same produce request when they can;
 * when that request fails, the job is delivered without them and they wait for their turn, so
 * that a follower's trouble (a record too large, a topic that refuses it) is never the job's;
 * only newer versions of the job's own object go with it then (see `ownObject`).
 */
export function createDeliveryHandler(deps: DeliveryDeps): (job: LaneJob) => Promise<LaneOutcome> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  /** The records of the followers, up to the first that cannot be mapped (it will fail alone). */
  function followerRecords(followers: readonly LaneFollower[]): KafkaRecord[] {
    const records: KafkaRecord[] = [];
    for (const { data } of followers) {
      // One a newer version stored is held when its turn comes (see NewerJobFormatError).
      if (unknownJobField(data) !== undefined) break;
      try {
        records.push(
          toKafkaRecord(
            data.commit,
            { id: data.id, receivedAt: data.receivedAt },
            routeFor(data.commit, deps.routes),
          ),
        );
      } catch {
        break;
      }
    }
    return records;
  }

  /**
   * The indexes among the riders of the newer versions of the job's own object (its topic and
   * key). Kafka stores each partition's share of a request whole or not at all, but a request
   * whose riders span partitions (or brokers) can fail in one and be stored in another: the job
   * and a newer version of its object may be on Kafka although the request failed. Sent again
   * alone, the job would land after that newer version, and stay the object's last record until
   * a later request carried it again (the next job's first try, unless the follower limits left
   * it out: then hours, behind a follower whose broker is down). Sent with them, the newest is
   * last again. They are in the job's own partition, so their trouble is the job's anyway.
   */
  function ownObject(record: KafkaRecord, riders: readonly KafkaRecord[]): number[] {
    const own: number[] = [];
    riders.forEach((r, i) => {
      if (r.topic === record.topic && Buffer.compare(r.key, record.key) === 0) own.push(i);
    });
    return own;
  }

  /** A retry after a broker's answer goes in a request of its own (see `RetryProgress.alone`). */
  const alone = (job: LaneJob): SendAlone => ({ alone: job.retry?.alone === true });

  /**
   * Sends `records` (the job's first); resolves true when Kafka has them, false when they failed
   * in a way no retry fixes (a record among them may be the cause), and rejects when a retry may.
   */
  async function sendOrRefused(
    job: LaneJob,
    records: KafkaRecord[],
    how: SendAlone,
    refused: (error: unknown) => boolean = isRefusal,
  ): Promise<boolean> {
    try {
      await deps.gatherer.send(records, job.lockedUntil, how);
      return true;
    } catch (error) {
      if (refused(error)) return false;
      throw error;
    }
  }

  function isRefusal(error: unknown): boolean {
    return !classifyError(error).retriable;
  }

  /**
   * Produces the job's record, with its followers' when it has any; resolves with which of the
   * followers were delivered. A request with followers that fails for good, or on a broker's
   * answer, is not the job's verdict (a follower may be the cause: the job was held for a
   * backoff, and counted as retried to its own topic, for a follower's topic not yet created):
   * the job is sent again at once with only the newer versions of its own object (`ownObject`),
   * and alone if that fails for good too (one of them is the cause, and then nothing of its
   * partition was stored). One that fails otherwise (no broker reached), or whose second request
   * fails in a way a retry may fix, is: the job is retried after its backoff, and a retried job
   * takes along only those newer versions. Those of them right behind the job are delivered as followers; those further back
   * (behind a job of another key) are completed with the job all the same (`deliveredAhead`).
   */
  async function produce(job: LaneJob, record: KafkaRecord): Promise<Delivered> {
    const riders = followerRecords(job.followers);
    let how = alone(job);
    if (job.retry === undefined && riders.length > 0) {
      // Whether the request may have failed for a follower: a refusal, or a broker's answer,
      // which is per topic and partition. No broker reached is everyone's: the job's retry.
      const mayBeAFollowers = (error: unknown): boolean => {
        // After a broker's answer, a refusal for good among them, the job goes again alone, as a
        // retry would: its own partition may be what refused (too few replicas, a record too
        // large), and in a shared request it would fail the other lanes' records too, which the
        // gatherer then sends again, stored twice.
        const fromBroker = error instanceof KafkaProduceError && error.fromBroker;
        if (fromBroker) how = { alone: true };
        return fromBroker || isRefusal(error);
      };
      if (await sendOrRefused(job, [record, ...riders], how, mayBeAFollowers)) {
        return followersDelivered(job, riders.length, []);
      }
    }
    const own = ownObject(record, riders);
    if (
      own.length > 0 &&
      (await sendOrRefused(job, [record, ...own.map((i) => riders[i]!)], how))
    ) {
      // The leading run of them (right behind the job) are followers; the others go by id.
      const leading = own.findIndex((index, i) => index !== i);
      const count = leading < 0 ? own.length : leading;
      return followersDelivered(job, count, own.slice(count));
    }
    await deps.gatherer.send([record], job.lockedUntil, how);
    return { followers: 0, deliveredAhead: [] };
  }

  /**
   * Reports delivered (now) the job's first `count` followers and those at `ahead` (indexes
   * further back), and says which they were.
   */
  function followersDelivered(job: LaneJob, count: number, ahead: readonly number[]): Delivered {
    const at = now();
    const report = (i: number): void =>
      deps.events.delivered(job.lane, Math.max(0, at - queuedAtMs(job.followers[i]!.data)));
    for (let i = 0; i < count; i++) report(i);
    ahead.forEach(report);
    return { followers: count, deliveredAhead: ahead.map((i) => job.followers[i]!.id) };
  }

  /** The topic a commit goes to, when its routing can be read. */
  function topicOf(commit: CommitJobData['commit']): string | undefined {
    try {
      return routeFor(commit, deps.routes).topic;
    } catch {
      return undefined;
    }
  }

  const afterFailure = failureVerdict({ events: deps.events, policy: deps.policy, now, random });

  return async (job) => {
    const { commit, receivedAt } = job.data;
    // Made only when something is logged: a child of the redacting logger costs each job a few
    // kilobytes of garbage, and a delivery that succeeds logs nothing.
    const log = () => deps.logger.child({ lane: job.lane, jobId: job.id });
    // A re-drive gives a failed commit a new TTL.
    const ttlFromMs = queuedAtMs(job.data);

    // Held before it is mapped: this version may not even map what a newer one stored (a
    // binary in a form it does not know would fail it as poison, and its lane would move on).
    const newer = holdsCommit(job.data) ? unknownJobField(job.data) : undefined;
    if (newer !== undefined) {
      return afterFailure(job, ttlFromMs, new NewerJobFormatError(newer), topicOf(commit), log);
    }

    let record: KafkaRecord;
    try {
      // A job whose data in Redis does not parse reaches here without a commit (tolerant-job.ts).
      if (!holdsCommit(job.data)) {
        throw new CommitlogError(
          'POISON_JOB',
          "the job holds no commit: its data in Redis is missing, not valid JSON, or not a commit job's",
          { retriable: false },
        );
      }
      record = toKafkaRecord(
        commit,
        { id: job.data.id, receivedAt },
        routeFor(commit, deps.routes),
      );
    } catch (error) {
      // A job that cannot even be turned into a record will never pass: a poison job.
      deps.events.failed(job.lane, POISON_REASON);
      // Ours say what is wrong in words of ours. Another (Node's TypeError for a field of the
      // wrong type, a hand-edited job) may quote the commit's data: only its kind is kept.
      if (error instanceof CommitlogError) {
        log().error({ err: error }, 'commit cannot be mapped to a Kafka record');
        return { kind: 'fail', reason: POISON_REASON, message: String(error) };
      }
      const kind = error instanceof Error ? error.name : typeof error;
      log().error({ errType: kind }, 'commit cannot be mapped to a Kafka record');
      return {
        kind: 'fail',
        reason: POISON_REASON,
        message: `the job's commit has a field of the wrong type (${kind}): its data in Redis was changed by hand or cut short`,
      };
    }

    // A job whose worker died or hung while holding it comes back with no verdict, and BullMQ
    // never fails it for that (a killed worker is no fault of the commit's). A commit whose
    // delivery kills its worker every time (memory, a hang) would then hold its lane forever,
    // past its TTL, the expiry being decided only after an attempt that returns. So a job that
    // stalled twice since its last attempt returned is not tried again once its TTL is over: it
    // fails as expired, for an operator to see and re-drive. Once is not enough: one worker
    // killed (a rolling restart, a lost node) while holding a commit near its TTL, perhaps
    // already on Kafka, says nothing of the commit, which gets its try. One that stalled only
    // before its last attempt (a worker drained hours ago) gets its last try at the TTL as
    // every other job does.
    const stalledSinceLastTry = job.stalledCount - (job.retry?.stalledCount ?? 0);
    if (stalledSinceLastTry > 1 && isExpired(ttlFromMs, now(), deps.policy)) {
      deps.events.failed(job.lane, 'expired', record.topic);
      log().error(
        { stalledCount: job.stalledCount },
        'commit expired: its worker died or hung while holding it, and its TTL is over',
      );
      return {
        kind: 'fail',
        reason: 'expired',
        message: `not delivered within its TTL of ${deps.policy.ttlMs} ms; its worker died or hung while holding it ${job.stalledCount} times`,
      };
    }

    let delivered: Delivered;
    try {
      delivered = await produce(job, record);
    } catch (error) {
      return afterFailure(job, ttlFromMs, error, record.topic, log);
    }

    deps.events.delivered(job.lane, Math.max(0, now() - ttlFromMs));
    return { kind: 'delivered', ...delivered };
  };
}
