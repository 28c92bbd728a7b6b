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
 */
export class ConfigError extends CommitlogError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.message}`);
    super('INVALID_CONFIG', ['invalid configuration:', ...lines].join('\n'), { retriable: false });
    this.problems = problems;
  }
}
