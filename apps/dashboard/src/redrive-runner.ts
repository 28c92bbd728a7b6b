import { RedriveInterruptedError, type RedriveResult } from '@commitlog/queue';
import type { RedriveProgress } from './redrive-progress.ts';

/**
 * How long a re-drive request waits for its re-drive before answering that it goes on. A long
 * Kafka outage can fail hundreds of thousands of commits, and re-driving them takes minutes: a
 * request held that long meets a proxy's or the browser's timeout, and its admin, seeing an
 * error, would try again.
 */
export const REDRIVE_ANSWER_WITHIN_MS = 5000;

/** A re-drive of many deliveries (a reason, a lane), as the Deliveries page and its API show it. */
export interface RedriveRunView {
  /** Who asked for it. */
  by: string;
  /** What it re-drives, in words: `reason expired`, `lane 3`. */
  what: string;
  /** Epoch ms. */
  startedAt: number;
  state: 'running' | 'finished' | 'interrupted';
  /** What it has moved (and read) so far, or in all once it ended. */
  soFar: RedriveProgress;
  /** Epoch ms, once it ended. */
  endedAt?: number;
  /** Why it stopped part-way (Redis went away, the dashboard stopped). */
  interrupted?: string;
}

export type RedriveOutcome = RedriveResult & { interrupted?: string };

/** A re-drive of many's two records in the audit trail. */
export interface RedriveAudit {
  /**
   * Before anything is moved; rejects when the record cannot be written, and then nothing is
   * (a re-drive nobody can account for later is not started).
   */
  opening(): Promise<void>;
  /**
   * Once it ended, with what it moved; never rejects. Waited for before the runner is idle, so
   * that a stopping dashboard closes Redis only after it.
   */
  closing(outcome: RedriveOutcome): Promise<void>;
}

/** What became of a request to start a re-drive. */
export type RedriveStart =
  | { state: 'finished'; result: RedriveResult }
  /** Its opening audit record could not be written: nothing was moved. */
  | { state: 'unaudited'; message: string }
  /** Stopped part-way before the answer: `partial` stays moved; running it again moves the rest. */
  | { state: 'interrupted'; partial: RedriveResult; message: string }
  /** Still running when the answer was due: it goes on, and audits itself when it ends. */
  | { state: 'running'; run: RedriveRunView }
  /** Another re-drive of many is running: this one was not started. */
  | { state: 'busy'; run: RedriveRunView };

export interface RedriveRunner {
  /**
   * Starts `run` unless another re-drive is running, once `audit` has its opening record, and
   * waits for it up to the runner's answer time. `audit` has its closing record once it ends,
   * whether or not the request was answered by then. `run` stops between two jobs when `signal`
   * is aborted (`stop`).
   */
  start(
    who: { by: string; what: string },
    run: (
      onProgress: (soFar: RedriveProgress) => void,
      signal: AbortSignal,
    ) => Promise<RedriveResult>,
    audit: RedriveAudit,
  ): Promise<RedriveStart>;
  /** The running re-drive, else the last one that went on past its answer; undefined if none. */
  current(): RedriveRunView | undefined;
  /** Resolves once no re-drive is running and the last one's closing record is written or not. */
  idle(): Promise<void>;
  /**
   * Stops the running re-drive, if any, between two jobs (`why` goes on its record), and refuses
   * any re-drive asked for later.
   */
  stop(why: string): void;
}

/**
 * Runs the dashboard's re-drives of many deliveries one at a time, past their request when they
 * take long. One at a time because a second click on the same reason would only walk the same
 * failed sets again (every delivery it found would be skipped) while the first still moves them.
 */
export function createRedriveRunner(
  options: { answerWithinMs?: number; now?: () => number } = {},
): RedriveRunner {
  const answerWithinMs = options.answerWithinMs ?? REDRIVE_ANSWER_WITHIN_MS;
  const now = options.now ?? Date.now;
  let running:
    { view: RedriveRunView; ended: Promise<unknown>; controller: AbortController } | undefined;
  let lastLong: RedriveRunView | undefined;
  /** Why no re-drive starts any more, once `stop` was called. */
  let stopping: string | undefined;

  return {
    async start(who, run, audit) {
      if (running) return { state: 'busy', run: { ...running.view } };
      if (stopping !== undefined) {
        // A request that arrived as the dashboard began to stop: nothing started, nothing moved.
        return {
          state: 'interrupted',
          partial: { redriven: 0, skipped: 0 },
          message: `nothing was re-driven: ${stopping}`,
        };
      }
      const view: RedriveRunView = {
        ...who,
        startedAt: now(),
        state: 'running',
        soFar: { redriven: 0, skipped: 0 },
      };
      const controller = new AbortController();
      // Taken before the opening record is written: a second click meanwhile is refused.
      let opened!: () => void;
      running = { view, controller, ended: new Promise<void>((resolve) => (opened = resolve)) };
      try {
        await audit.opening();
      } catch (error) {
        running = undefined;
        opened();
        return {
          state: 'unaudited',
          message: error instanceof Error ? error.message : String(error),
        };
      }
      const end = async (state: 'finished' | 'interrupted', soFar: RedriveResult, why?: string) => {
        Object.assign(view, { state, soFar, endedAt: now() }, why ? { interrupted: why } : {});
        try {
          await audit.closing(why ? { ...soFar, interrupted: why } : soFar);
        } finally {
          // Free whatever the record's write did: `idle` waits for this.
          running = undefined;
        }
      };
      // Through a promise, so that a `run` that throws at once ends as one that rejects.
      const ended = Promise.resolve()
        .then(() => run((soFar) => (view.soFar = { ...soFar }), controller.signal))
        .then(
          async (result): Promise<RedriveStart> => {
            await end('finished', result);
            return { state: 'finished', result };
          },
          async (error: unknown): Promise<RedriveStart> => {
            const partial = error instanceof RedriveInterruptedError ? error.partial : view.soFar;
            await end(
              'interrupted',
              partial,
              error instanceof Error ? error.message : String(error),
            );
            if (error instanceof RedriveInterruptedError) {
              return { state: 'interrupted', partial, message: error.message };
            }
            throw error;
          },
        );
      running.ended = ended.catch(() => undefined);
      opened();
      let timer: NodeJS.Timeout | undefined;
      const answerDue = new Promise<'due'>((resolve) => {
        timer = setTimeout(() => resolve('due'), answerWithinMs);
      });
      try {
        const first = await Promise.race([ended, answerDue]);
        if (first !== 'due') return first;
        lastLong = view;
        // Past the answer, its end is only audited (and shown): an error no longer has a request.
        ended.catch(() => undefined);
        return { state: 'running', run: { ...view } };
      } finally {
        clearTimeout(timer);
      }
    },
    current() {
      const view = running?.view ?? lastLong;
      return view && { ...view, soFar: { ...view.soFar } };
    },
    async idle() {
      while (running) await running.ended;
    },
    stop(why) {
      stopping ??= why;
      running?.controller.abort(new Error(why));
    },
  };
}
