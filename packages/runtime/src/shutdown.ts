import type { Logger } from './logger.ts';

/** One thing to do on the way out, e.g. `stop accepting`, `drain requests`, `flush producer`. */
export interface ShutdownStep {
  /** Logged with the step's outcome and duration. */
  name: string;
  run: () => Promise<void>;
}

/** Where signals come from: `process`, or a fake in tests. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  /** Ms from the first signal until the process exits with 1 whatever is still running. */
  timeoutMs: number;
  /** Run in order, each once; one that throws is logged and the next still runs. */
  steps: ShutdownStep[];
  /** Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default `process`. */
  processLike?: SignalSource;
}

export interface ShutdownHandle {
  /** Starts the shutdown as a signal would (or joins the one under way); resolves once it exits. */
  trigger(reason: string): Promise<void>;
  /** Stops listening for the signals; a shutdown under way goes on. */
  dispose(): void;
}

/**
 * Graceful stop. On the first signal the steps run in order, each logged with its duration; then
 * the process exits 0, or 1 if a step failed. If they are not all done within `timeoutMs` it
 * exits 1 at once: an orchestrator kills a process that ignores SIGTERM for long anyway, and
 * saying so first beats a silent SIGKILL. A second signal meanwhile is logged and does not cut
 * the steps short: a worker returning its jobs or a producer flushing must be let finish.
 */
export function onShutdown(options: ShutdownOptions): ShutdownHandle {
  const { logger, timeoutMs, steps } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.processLike ?? process;
  let shutdown: Promise<void> | undefined;
  let disposed = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    // Listen again, so that a second signal is ours to log, not Node's default (which kills).
    if (!disposed) source.once(signal, onSignal);
    void trigger(signal);
  };

  function trigger(reason: string): Promise<void> {
    if (shutdown !== undefined) {
      logger.warn({ reason }, 'already shutting down');
      return shutdown;
    }
    shutdown = run(reason);
    return shutdown;
  }

  async function run(reason: string): Promise<void> {
    logger.info({ reason, timeoutMs, steps: steps.map((s) => s.name) }, 'shutting down');
    let exited = false;
    let current: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number): void => {
      if (exited) return;
      exited = true;
      clearTimeout(timer);
      exit(code);
    };

    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.error({ timeoutMs, step: current }, 'shutdown timed out; exiting now');
        finish(1);
        resolve();
      }, timeoutMs);
    });

    const runSteps = async (): Promise<void> => {
      let failed = 0;
      for (const step of steps) {
        current = step.name;
        const started = performance.now();
        try {
          await step.run();
          logger.info({ step: step.name, durationMs: since(started) }, 'shutdown step done');
        } catch (error) {
          failed += 1;
          logger.error(
            { err: error, step: step.name, durationMs: since(started) },
            'shutdown step failed',
          );
        }
        if (exited) return;
      }
      if (failed > 0) logger.error({ failed }, 'shut down with failed steps');
      else logger.info('shut down');
      finish(failed > 0 ? 1 : 0);
    };

    await Promise.race([runSteps(), timedOut]);
  }

  for (const signal of signals) source.once(signal, onSignal);

  return {
    trigger,
    dispose() {
      disposed = true;
      for (const signal of signals) source.off(signal, onSignal);
    },
  };
}

function since(started: number): number {
  return Math.round(performance.now() - started);
}
