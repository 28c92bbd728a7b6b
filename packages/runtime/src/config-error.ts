import { CommitlogError } from '@commitlog/core';

/** One bad environment variable and what is wrong with it. Never holds a secret's value. */
export interface ConfigProblem {
  /** The environment variable, e.g. `INGEST_PORT`. */
  variable: string;
  /** What is wrong, for a human, e.g. `must be an integer from 1 to 65535 (got "abc")`. */
  message: string;
}

/**
 * The configuration cannot be used. Thrown once, at start-up, with every problem found, so an
 * operator fixes them all in one go instead of one restart per variable.
 *
 * The message is one line (`invalid configuration: LANES: …; REDIS_URL: …`), since a CLI error is
 * one readable line and the services print it as it is; the CLI's own INVALID_CONFIG errors use
 * the same form. A program wanting each problem reads `problems`.
 */
export class ConfigError extends CommitlogError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const list = problems.map((p) => `${p.variable}: ${p.message}`).join('; ');
    super('INVALID_CONFIG', `invalid configuration: ${list}`, { retriable: false });
    this.problems = problems;
  }
}
