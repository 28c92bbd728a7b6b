import { stat } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { CliError } from '../cli-error.ts';
import { MAX_LINE_BYTES, readFailureLogLine } from '../failure-log.ts';
import { fileLines, type TooLongLine } from '../file-lines.ts';
import { readIngestTarget } from '../ingest-target.ts';
import { checkReadableFile } from '../readable-file.ts';
import { listenForStop, SIGNAL_EXIT_CODES, type SignalSource } from '../stop-signals.ts';
import { openRefusedFile, RefusedFileWriteError, type WriteSync } from './requeue-refused-file.ts';
import { batchReplay, type Entry } from './requeue-replay.ts';
import { earlier, interruptedText, lineList, readProblem, refusedNotKept } from './requeue-text.ts';

export interface RequeueOptions {
  /** The failure log to replay. */
  file: string;
  /** Where `.data/ingest-secret` is looked for when INGEST_SECRETS is not set. */
  repoRoot: string;
  /** INGEST_URL (default http://127.0.0.1:8080) and INGEST_SECRETS come from here. */
  env: NodeJS.ProcessEnv;
  /** Progress lines and the final summary. */
  out: (line: string) => void;
  /** One line per skipped or refused line of the log, and one per try that will be repeated. */
  err: (line: string) => void;
  /** Most commits per batch request. Default 500. */
  batchCommits?: number;
  /** Most body bytes per batch request (well under the ingest's MAX_BATCH_BYTES). Default 4 MiB. */
  batchBytes?: number;
  /** Tries of one request while the ingest answers 429/5xx or cannot be reached. Default 10. */
  maxTries?: number;
  /** Waits between tries, ended by the signal given; replaced in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The file's lines (`fileLines`); replaced in tests, to fail a read part-way. */
  readLines?: typeof fileLines;
  /** How FILE.refused is written (`writeSync`); replaced in tests, to fail or write short. */
  writeRefused?: WriteSync;
  /**
   * Where SIGINT, SIGTERM and SIGHUP are heard: each stops the run before its next request and
   * says how far it got (exit 128 + the signal's number); the process's own by default.
   */
  signals?: SignalSource;
}

/**
 * `commitlog requeue FILE`: replays the Riak hook's failure log through the ingest, in signed
 * batches, with progress. Idempotent within DEDUP_WINDOW: commit ids make a commit posted twice
 * in that window a duplicate, so a requeue can be run again after any failure (later, a commit
 * the ingest took is delivered again). Malformed lines are skipped and reported with their
 * numbers; commits the ingest refuses are found one by one and reported with theirs. Exits
 * non-zero unless every line was accepted.
 */
export async function requeue(options: RequeueOptions): Promise<void> {
  const batchCommits = options.batchCommits ?? 500;
  const batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
  const maxTries = options.maxTries ?? 10;
  const sleep =
    options.sleep ?? ((ms: number, signal?: AbortSignal) => wait(ms, undefined, { signal }));
  // The file first, then the configuration: a wrong path or variable must end the command
  // before the local secret is created.
  await checkReadableFile(options.file);
  const { baseUrl: base, secret } = readIngestTarget(options.repoRoot, options.env);

  const refusedFile = openRefusedFile(options.file, options.writeRefused);
  // Heard until the end, FILE.refused put in place included: a signal then is not left to kill
  // the process half-way through its rename.
  const stop = listenForStop(
    (name) =>
      options.err(
        `requeue: stopping after the request under way (${name}); press Ctrl-C again to quit at once`,
      ),
    options.signals,
  );
  const { tally, soFar, heldBack, flush } = batchReplay({
    base,
    secret,
    maxTries,
    sleep,
    err: options.err,
    out: options.out,
    keep: refusedFile.keep,
    signal: stop.signal,
  });
  /** Lines of the file read so far. */
  let reached = 0;
  try {
    try {
      await replayLines();
    } catch (error) {
      throw stoppedPartWay(error);
    }
    try {
      refusedFile.close();
    } catch (error) {
      if (!(error instanceof RefusedFileWriteError)) throw error;
      throw new CliError(
        error.code,
        `requeue: every line was read and sent, but ` +
          `${refusedNotKept(options.file, refusedFile.path, error)}${soFar()}`,
        1,
        error,
      );
    }
  } finally {
    stop.dispose();
  }

  /**
   * The error that ends a run stopped part-way, FILE.refused closed: what it refused until then
   * is in it, unless it could not be written whole (then FILE is what to replay), and a run
   * stopped by a signal says how far it got.
   */
  function stoppedPartWay(error: unknown): unknown {
    let unwritten = error instanceof RefusedFileWriteError ? error : undefined;
    try {
      refusedFile.close();
    } catch (closing) {
      if (!(closing instanceof RefusedFileWriteError)) throw closing;
      unwritten ??= closing;
    }
    if (unwritten !== undefined) {
      // Its own failure, or another one (the ingest gone) with FILE.refused not flushed either.
      const before =
        unwritten === error
          ? `requeue stopped after reading line ${reached}`
          : error instanceof Error
            ? error.message
            : String(error);
      return new CliError(
        'REFUSED_FILE_UNWRITABLE',
        `${before}: ${refusedNotKept(options.file, refusedFile.path, unwritten)}${unwritten === error ? soFar() : ''}`,
        1,
        error,
      );
    }
    const stoppedBy = stop.stoppedBy();
    if (stoppedBy !== undefined) {
      return new CliError(
        'INTERRUPTED',
        interruptedText({
          signalName: stoppedBy,
          file: options.file,
          refusedPath: refusedFile.path,
          reached,
          tally,
          kept: refusedFile.kept(),
        }),
        SIGNAL_EXIT_CODES[stoppedBy],
        error,
      );
    }
    // Stopped part-way: what it refused until then is in the file too.
    if (!(error instanceof CliError) || refusedFile.kept() === 0) return error;
    return new CliError(
      error.code,
      `${error.message}; the ${refusedFile.kept()} commits refused until then are in ${refusedFile.path}`,
      error.exitCode,
      error.cause,
    );
  }

  async function replayLines(): Promise<void> {
    let batch: Entry[] = [];
    let bytes = 0;
    /** Bytes of the file taken as lines, each with its `\n` (a last one without it counted so too). */
    let consumed = 0;
    const lines = (options.readLines ?? fileLines)(options.file, MAX_LINE_BYTES);
    for (;;) {
      // Between two lines too: a file of malformed lines sends nothing for a while.
      stop.signal.throwIfAborted();
      let next: IteratorResult<Buffer | TooLongLine>;
      try {
        next = await lines.next();
      } catch (error) {
        // The lines read whole before it go first; the error then says where reading stopped.
        await flush(batch);
        throw new CliError(
          'FAILURE_LOG_UNREADABLE',
          `${options.file}: reading stopped after line ${reached} (${readProblem(error)}); ` +
            `nothing after that line was sent: run requeue again once the file can be read${soFar()}`,
          1,
          error,
        );
      }
      if (next.done) break;
      reached++;
      consumed += ('tooLong' in next.value ? next.value.bytes : next.value.length) + 1;
      const parsed = readFailureLogLine(next.value, reached);
      if (!parsed) continue;
      tally.lines++;
      if ('problem' in parsed) {
        tally.malformed.push(parsed.line);
        options.err(`line ${parsed.line}: ${parsed.problem} (skipped)`);
        continue;
      }
      if (
        batch.length >= batchCommits ||
        (batch.length > 0 && bytes + parsed.bytes.length > batchBytes)
      ) {
        await flush(batch);
        batch = [];
        bytes = 0;
      }
      const entry = { line: parsed.line, bytes: parsed.bytes, object: parsed.object };
      if (heldBack(entry)) continue;
      batch.push(entry);
      bytes += parsed.bytes.length + 1;
    }
    await flush(batch);
    await refuseIfGrown(options.file, consumed, reached, soFar, options.err);
  }

  const summary =
    `${tally.lines} commits in ${options.file}: ${tally.accepted} accepted${earlier(tally.duplicates)}` +
    (tally.malformed.length > 0
      ? `, ${tally.malformed.length} malformed${lineList(tally.malformed)}`
      : '') +
    (tally.rejected.length > 0
      ? `, ${tally.rejected.length} refused${lineList(tally.rejected.map((r) => r.line))}`
      : '') +
    (refusedFile.kept() > 0
      ? `; the ${refusedFile.kept()} commits refused${heldNote(tally.rejected)} are in ` +
        `${refusedFile.path}: replay that ` +
        'file, not this one, once the cause is fixed' +
        (tally.rejected.some((r) => r.laneFull)
          ? ' (those refused with BACKLOG_FULL once their lane drained)'
          : '')
      : '') +
    (tally.malformed.length > 0
      ? '; the malformed lines are in this file only: mend them and replay them'
      : '');
  if (tally.malformed.length > 0 || tally.rejected.length > 0) {
    throw new CliError('REQUEUE_INCOMPLETE', summary);
  }
  options.out(`requeue: done: ${summary}`);
}

/**
 * How many of the commits in FILE.refused were held back rather than refused: they are in it
 * only to keep their key's order, and leave it with the commit they are held behind.
 */
function heldNote(rejected: readonly { held?: boolean }[]): string {
  const held = rejected.filter((r) => r.held).length;
  return held > 0 ? ` (${held} of them held behind an earlier refused commit of their key)` : '';
}

/**
 * Refuses to call a replay done when the file now holds more than was read: a hook still wrote
 * to it (its own write of a line may land up to 2 s after the file was moved aside, or the live
 * log was replayed), and those lines were never sent.
 */
async function refuseIfGrown(
  file: string,
  consumed: number,
  lastLine: number,
  soFar: () => string,
  err: (line: string) => void,
): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    // Moved or removed while it was read: whether it grew cannot be told.
    err(`${file}: could not check whether it grew while it was read (${readProblem(error)})`);
    return;
  }
  if (size <= consumed) return;
  throw new CliError(
    'FAILURE_LOG_GREW',
    `${file} grew while it was read (${size - consumed} bytes after line ${lastLine} were not ` +
      `read): a hook still writes to it. Move it aside, wait 3 s and run requeue again on it ` +
      `(the commits taken now answer as duplicates)${soFar()}`,
  );
}
