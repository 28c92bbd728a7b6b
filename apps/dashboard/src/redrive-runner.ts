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

/** What became of a request to start a re-drive. */
export type RedriveStart =
  | { state: 'finished'; result: RedriveResult }
  /** Stopped part-way before the answer: `partial` stays moved; running it again moves the rest. */
  | { state: 'interrupted'; partial: RedriveResult; message: string }
  /** Still running when the answer was due: it goes on, and audits itself when it ends. */
  | { state: 'running'; run: RedriveRunView }
  /** Another re-drive of many is running: this one was not started. */
  | { state: 'busy'; run: RedriveRunView };

export interface RedriveRunner {
  /**
   * Starts `run` unless another re-drive is running, and waits for it up to the runner's answer
   * time. `audit` hears its outcome once it ends, whether or not the request was answered by then.
   */
  start(
    who: { by: string; what: string },
    run: (onProgress: (soFar: RedriveProgress) => void) => Promise<RedriveResult>,
    audit: (outcome: RedriveOutcome) => void,
  ): Promise<RedriveStart>;
  /** The running re-drive, else the last one that went on past its answer; undefined if none. */
  current(): RedriveRunView | undefined;
  /** Resolves once no re-drive is running. */
  idle(): Promise<void>;
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
  let running: { view: RedriveRunView; ended: Promise<unknown> } | undefined;
  let lastLong: RedriveRunView | undefined;

  return {
    async start(who, run, audit) {
      if (running) return { state: 'busy', run: { ...running.view } };
      const view: RedriveRunView = {
        ...who,
        startedAt: now(),
        state: 'running',
        soFar: { redriven: 0, skipped: 0 },
      };
      const end = (state: 'finished' | 'interrupted', soFar: RedriveResult, why?: string) => {
        Object.assign(view, { state, soFar, endedAt: now() }, why ? { interrupted: why } : {});
        running = undefined;
        audit(why ? { ...soFar, interrupted: why } : soFar);
      };
      const ended = run((soFar) => (view.soFar = { ...soFar })).then(
        (result): RedriveStart => {
          end('finished', result);
          return { state: 'finished', result };
        },
        (error: unknown): RedriveStart => {
          const partial = error instanceof RedriveInterruptedError ? error.partial : view.soFar;
          end('interrupted', partial, error instanceof Error ? error.message : String(error));
          if (error instanceof RedriveInterruptedError) {
            return { state: 'interrupted', partial, message: error.message };
          }
          throw error;
        },
      );
      running = { view, ended: ended.catch(() => undefined) };
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
      await running?.ended;
    },
  };
}
