import { CommitlogError } from '@commitlog/core/errors';

/** A failure the CLI reports as one readable line and a non-zero exit code. */
export class CliError extends CommitlogError {
  /** Process exit code: 2 for usage mistakes, 1 for everything else. */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode = 1, cause?: unknown) {
    super(code, message, { retriable: false, cause });
    this.exitCode = exitCode;
  }
}
