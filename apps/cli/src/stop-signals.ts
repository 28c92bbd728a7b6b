/**
 * An operator's stop of a long CLI command (`redrive`, `discard`, `requeue`): Ctrl-C (SIGINT), a
 * supervisor's SIGTERM, or a dropped SSH session (SIGHUP). Each of them, left to the process,
 * ends it where it stands, with nothing said and nothing closed.
 */

/** The exit code of a run stopped by a signal: 128 and the signal's number, as a shell says. */
export const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * Where the stop signals are heard, the clock that tells a repeat from a copy, and how the
 * process quits at once; the process's own by default (`processSignals`).
 */
export interface SignalSource {
  on: (name: StopSignal, listener: () => void) => unknown;
  off: (name: StopSignal, listener: () => void) => unknown;
  now: () => number;
  quit: (code: number) => void;
}

export const processSignals: SignalSource = {
  on: (name, listener) => process.on(name, listener),
  off: (name, listener) => process.off(name, listener),
  now: () => Date.now(),
  quit: (code) => process.exit(code),
};

/**
 * How long after the first signal another one is taken for a copy of it: `./commitlog` runs the
 * CLI under pnpm, which passes the terminal's Ctrl-C on to it a second time (the CLI hears it
 * from the terminal too), milliseconds apart.
 */
const SAME_SIGNAL_MS = 1000;

/** A stop heard: its AbortSignal, and which signal aborted it. */
export interface StopListener {
  /** Aborted at the first stop signal. */
  signal: AbortSignal;
  /** The signal that aborted `signal`, if one did. */
  stoppedBy(): StopSignal | undefined;
  /** Stops listening: a signal heard later acts as it would without the listener. */
  dispose(): void;
}

/**
 * Listens for the stop signals until `dispose`: the first aborts `signal`, after `stopping` has
 * said so, so that the run stops between two of its steps and can still close what it opened
 * (its audit record, its files). Another, past the copies of the first, quits at once with that
 * signal's exit code.
 */
export function listenForStop(
  stopping: (name: StopSignal) => void,
  signals: SignalSource = processSignals,
): StopListener {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  let stoppedAt = 0;
  const listeners = (Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]).map((name) => {
    const listener = (): void => {
      if (stoppedBy === undefined) {
        stoppedBy = name;
        stoppedAt = signals.now();
        stopping(name);
        controller.abort(new Error(`stopped by ${name}`));
      } else if (signals.now() - stoppedAt >= SAME_SIGNAL_MS) {
        signals.quit(SIGNAL_EXIT_CODES[name]);
      }
    };
    signals.on(name, listener);
    return [name, listener] as const;
  });
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    dispose: () => {
      for (const [name, listener] of listeners) signals.off(name, listener);
    },
  };
}

export type StoppableOutcome<T> = { result: T } | { error: unknown; stoppedBy?: StopSignal };

/**
 * Runs `run` while listening for the stop signals (`listenForStop`). An error of a stopped run
 * comes back with the signal that stopped it.
 */
export async function runStoppable<T>(
  run: (signal: AbortSignal) => Promise<T>,
  stopping: (name: StopSignal) => void,
  signals: SignalSource = processSignals,
): Promise<StoppableOutcome<T>> {
  const stop = listenForStop(stopping, signals);
  try {
    return { result: await run(stop.signal) };
  } catch (error) {
    const stoppedBy = stop.stoppedBy();
    return { error, ...(stoppedBy === undefined ? {} : { stoppedBy }) };
  } finally {
    stop.dispose();
  }
}
