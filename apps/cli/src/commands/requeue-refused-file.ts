import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { CliError } from '../cli-error.ts';
import type { Entry } from './requeue-replay.ts';
import { readProblem } from './requeue-text.ts';

export interface RefusedFile {
  path: string;
  /** How many commits were kept. */
  kept(): number;
  /** Keeps a refused or held-back commit, and why, as a failure-log line. */
  keep: (entry: Entry, why: string) => void;
  /** Flushes it to disk, or removes it when it kept nothing. */
  close(): void;
}

/**
 * `FILE.refused`: the commits a requeue run refused or held back, as failure-log lines
 * (`"reason": "requeue_refused"` and why), readable by its owner only (they are payment data):
 * what to replay once the cause is fixed, rather than the whole file, whose accepted commits are
 * delivered again past DEDUP_WINDOW. Opened (and an earlier run's emptied) before anything is
 * sent, so that a folder it cannot be written to ends the run before it starts; removed at the
 * end when it kept nothing, so that no earlier run's file outlives a run that took every commit.
 */
export function openRefusedFile(file: string): RefusedFile {
  const path = `${file}.refused`;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (error) {
    throw new CliError(
      'REFUSED_FILE_UNWRITABLE',
      `cannot write ${path} (${readProblem(error)}), where requeue keeps the commits the ingest ` +
        "refuses: run it where the failure log's folder can be written to (copy the file there)",
      1,
      error,
    );
  }
  let kept = 0;
  return {
    path,
    kept: () => kept,
    keep: (entry, why) => {
      if (fd === undefined) return;
      writeSync(
        fd,
        Buffer.concat([
          Buffer.from(`{"reason":"requeue_refused","why":${JSON.stringify(why)},"commit":`),
          entry.bytes,
          Buffer.from('}\n'),
        ]),
      );
      kept++;
    },
    close() {
      if (fd === undefined) return;
      if (kept > 0) fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      if (kept === 0) unlinkSync(path);
    },
  };
}
