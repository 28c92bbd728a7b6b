import {
  closeSync,
  constants,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { CliError } from '../cli-error.ts';
import type { Entry } from './requeue-replay.ts';
import { readProblem } from './requeue-text.ts';

export interface RefusedFile {
  /** `FILE.refused`. */
  path: string;
  /** How many commits were kept. */
  kept(): number;
  /**
   * Keeps a refused or held-back commit, and why, as a failure-log line.
   *
   * @throws RefusedFileWriteError when the line cannot be written whole (a full disk)
   */
  keep: (entry: Entry, why: string) => void;
  /**
   * Puts what it kept in place as `path`, on disk, or removes it when it kept nothing, or when a
   * line could not be written whole (`keep` threw).
   *
   * @throws RefusedFileWriteError when it cannot be flushed to disk or put in place
   */
  close(): void;
}

/** `writeSync`'s shape, replaced in tests to fail or write short part-way. */
export type WriteSync = (fd: number, buffer: Buffer, offset: number, length: number) => number;

/**
 * A commit refused or held back that could not be kept whole in FILE.refused, or the file that
 * could not be put in place; `line` is the commit's line, or undefined at the end of the run.
 */
export class RefusedFileWriteError extends CliError {
  readonly line: number | undefined;
  readonly problem: string;

  constructor(path: string, line: number | undefined, error: unknown) {
    const problem = readProblem(error);
    super(
      'REFUSED_FILE_UNWRITABLE',
      `cannot write ${path} (${problem})${line === undefined ? '' : ` at line ${line}`}`,
      1,
      error,
    );
    this.line = line;
    this.problem = problem;
  }
}

/** Written whole, or an error: a short write (a disk filling up) is carried on from where it ended. */
function writeWhole(write: WriteSync, fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length;) {
    const written = write(fd, data, offset, data.length - offset);
    // Nothing written, and no error said: trying again would never end.
    if (written <= 0) throw Object.assign(new Error('nothing written'), { code: 'EIO' });
    offset += written;
  }
}

/** Removes a file, whether it is there or not. */
function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Created new, never through a link: the failure log's folder is the Riak user's, and requeue is
 * often run as root there. Opened with `w`, a link at FILE.refused made by that user got root to
 * truncate its target (any file), and an existing file kept its mode (0644) for payment data.
 */
const CREATE_NEW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * `FILE.refused`: the commits a requeue run refused or held back, as failure-log lines
 * (`"reason": "requeue_refused"` and why), readable by its owner only (they are payment data):
 * what to replay once the cause is fixed, rather than the whole file, whose accepted commits are
 * delivered again past DEDUP_WINDOW. An earlier run's is removed before anything is sent, and
 * this run's written to `FILE.refused.partial` (new, mode 0600), so that a folder it cannot be
 * written to ends the run before it starts, and a run killed part-way leaves no FILE.refused that
 * looks whole. At the end it is flushed and renamed to FILE.refused, or removed when it kept
 * nothing, so that no earlier run's file outlives a run that took every commit, or when a line
 * could not be written whole (a torn commit must not be replayed).
 */
export function openRefusedFile(file: string, write: WriteSync = writeSync): RefusedFile {
  const path = `${file}.refused`;
  const partialPath = `${path}.partial`;
  let fd: number | undefined;
  try {
    // A crashed run's partial file first (a link there is removed, not followed), then a new one.
    removeIfThere(partialPath);
    fd = openSync(partialPath, CREATE_NEW, 0o600);
    removeIfThere(path);
  } catch (error) {
    if (fd !== undefined) {
      // The error said is the one above; a new file left behind would only be empty.
      try {
        closeSync(fd);
        unlinkSync(partialPath);
      } catch {
        // Nothing more to say.
      }
    }
    throw new CliError(
      'REFUSED_FILE_UNWRITABLE',
      `cannot write ${path} (${readProblem(error)}), where requeue keeps the commits the ingest ` +
        "refuses: run it where the failure log's folder can be written to (copy the file there)",
      1,
      error,
    );
  }
  let kept = 0;
  let torn = false;
  return {
    path,
    kept: () => kept,
    keep: (entry, why) => {
      if (fd === undefined || torn) return;
      const line = Buffer.concat([
        Buffer.from(`{"reason":"requeue_refused","why":${JSON.stringify(why)},"commit":`),
        entry.bytes,
        Buffer.from('}\n'),
      ]);
      try {
        writeWhole(write, fd, line);
      } catch (error) {
        torn = true;
        throw new RefusedFileWriteError(path, entry.line, error);
      }
      kept++;
    },
    close() {
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      const whole = kept > 0 && !torn;
      let failure: unknown;
      try {
        // A full disk may only be told here (a file system that allocates on flush, NFS).
        if (whole) fsyncSync(open);
      } catch (error) {
        failure = error;
      }
      try {
        closeSync(open);
      } catch (error) {
        failure ??= error;
      }
      if (whole && failure === undefined) {
        try {
          renameSync(partialPath, path);
          return;
        } catch (error) {
          failure = error;
        }
      }
      try {
        removeIfThere(partialPath);
      } catch (error) {
        failure ??= error;
      }
      if (failure !== undefined) throw new RefusedFileWriteError(path, undefined, failure);
    },
  };
}
