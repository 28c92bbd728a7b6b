import { CliError } from '../cli-error.ts';
import { MAX_LINE_BYTES, readFailureLogLine } from '../failure-log.ts';
import { fileLines, type TooLongLine } from '../file-lines.ts';
import { readIngestTarget } from '../ingest-target.ts';
import { checkReadableFile } from '../readable-file.ts';
import {
  earlier,
  errorText,
  isLaneFull,
  lineList,
  readProblem,
  refusalHint,
} from './requeue-text.ts';
import { retryingSender } from './requeue-send.ts';

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
  /** Waits between tries; replaced in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** The file's lines (`fileLines`); replaced in tests, to fail a read part-way. */
  readLines?: typeof fileLines;
}

interface Entry {
  line: number;
  bytes: Buffer;
  /** Its Riak object (see `parseFailureLogLine`). */
  object: string;
}

interface Tally {
  lines: number;
  accepted: number;
  duplicates: number;
  malformed: number[];
  rejected: { line: number; why: string; laneFull: boolean }[];
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
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // The file first, then the configuration: a wrong path or variable must end the command
  // before the local secret is created.
  await checkReadableFile(options.file);
  const { baseUrl: base, secret } = readIngestTarget(options.repoRoot, options.env);

  const send = retryingSender({
    secret,
    maxTries,
    sleep,
    err: options.err,
    soFar,
  });

  const tally: Tally = { lines: 0, accepted: 0, duplicates: 0, malformed: [], rejected: [] };

  /**
   * What was done before a run that stops part-way: the lines named one by one on the way are
   * gathered here, as the final summary of a whole run gathers them.
   */
  function soFar(): string {
    if (tally.accepted === 0 && tally.malformed.length === 0 && tally.rejected.length === 0) {
      return '';
    }
    return (
      `; before that: ${tally.accepted} accepted, ` +
      `${tally.rejected.length} refused${lineList(tally.rejected.map((r) => r.line))}, ` +
      `${tally.malformed.length} malformed${lineList(tally.malformed)}`
    );
  }

  /**
   * The objects with a commit refused for a full lane, and its line. A later commit of the same
   * object is held back for the rest of the run: sent once the lane had room, it would reach
   * Kafka before the one refused, which a later run delivers after it.
   */
  const heldBehind = new Map<string, number>();

  /**
   * Whether a lane was found full since the ingest last took a whole batch. Meanwhile a batch
   * refused for a full lane goes one by one at once, rather than after its tries: with a few
   * lanes, nearly every batch holds a key of the full one, and waiting out each batch's tries
   * (about 45 s) would make a large file's replay take days.
   */
  let laneFullSeen = false;

  /** Holds the entry back (and says so) when an earlier commit of its object was refused. */
  function heldBack(entry: Entry): boolean {
    const behind = heldBehind.get(entry.object);
    if (behind === undefined) return false;
    const why = `held behind line ${behind} (the same key, refused for a full lane)`;
    tally.rejected.push({ line: entry.line, why, laneFull: true });
    options.err(`line ${entry.line}: ${why}`);
    return true;
  }

  /** `laneFullTries`: how many tries a commit gets while its lane is full (see `send`). */
  async function sendOneByOne(batch: Entry[], laneFullTries = maxTries): Promise<void> {
    for (const entry of batch) {
      if (heldBack(entry)) continue;
      const answer = await send(
        `${base}/v1/commits`,
        entry.bytes,
        entry.line,
        maxTries,
        laneFullTries,
      );
      if (answer.status === 202) {
        tally.accepted++;
        if ((answer.body as { duplicate?: boolean }).duplicate) tally.duplicates++;
      } else {
        const laneFull = isLaneFull(answer);
        laneFullSeen ||= laneFull;
        tally.rejected.push({ line: entry.line, why: errorText(answer), laneFull });
        if (laneFull && !heldBehind.has(entry.object)) heldBehind.set(entry.object, entry.line);
        options.err(`line ${entry.line}: refused by the ingest: ${errorText(answer)}`);
      }
    }
  }

  async function flush(batch: Entry[]): Promise<void> {
    if (batch.length === 0) return;
    const body = Buffer.concat([
      Buffer.from('{"commits":['),
      ...batch.flatMap((e, i) => (i === 0 ? [e.bytes] : [Buffer.from(','), e.bytes])),
      Buffer.from(']}'),
    ]);
    const answer = await send(
      `${base}/v1/commits/batch`,
      body,
      batch[0]!.line,
      maxTries,
      laneFullSeen ? 1 : maxTries,
    );
    if (answer.status === 202) {
      const results = (answer.body as { results?: { duplicate?: boolean }[] }).results ?? [];
      if (results.length !== batch.length) {
        throw new CliError(
          'UNEXPECTED_ANSWER',
          `the ingest answered ${results.length} results for ${batch.length} commits from line ${batch[0]!.line}${soFar()}`,
        );
      }
      tally.accepted += batch.length;
      tally.duplicates += results.filter((r) => r.duplicate).length;
      // A whole batch taken: no lane of its keys is full now (with 500 commits, nearly every
      // lane's), so a later refusal gets its tries again, as a lane that was full may have been
      // so only for a moment.
      laneFullSeen = false;
    } else if (isLaneFull(answer)) {
      // Its tries were spent waiting for a full lane to drain: each commit alone, so that those
      // of the other lanes get in; those of the full lane are tried once and named, for a later
      // run. Any other passing refusal (a busy ingest) gets its tries, as in every request.
      laneFullSeen = true;
      await sendOneByOne(batch, 1);
    } else if (answer.status === 400 || answer.status === 413) {
      // A batch is refused whole when one commit is bad: find which, one by one.
      await sendOneByOne(batch);
    } else {
      // Not about a commit (a signature refused, a wrong path or server, a redirect): posting the
      // commits one by one would only send each of them there too.
      throw new CliError(
        'REQUEUE_REFUSED',
        `the ingest refused the requests: ${errorText(answer)} (${refusalHint(answer)})${soFar()}`,
      );
    }
    options.out(
      `requeue: ${tally.lines} lines read, ${tally.accepted} accepted (${tally.duplicates} of them before), ` +
        `${tally.rejected.length} refused, ${tally.malformed.length} malformed`,
    );
  }

  let batch: Entry[] = [];
  let bytes = 0;
  let number = 0;
  const lines = (options.readLines ?? fileLines)(options.file, MAX_LINE_BYTES);
  for (;;) {
    let next: IteratorResult<Buffer | TooLongLine>;
    try {
      next = await lines.next();
    } catch (error) {
      // The lines read whole before it go first; the error then says where reading stopped.
      await flush(batch);
      throw new CliError(
        'FAILURE_LOG_UNREADABLE',
        `${options.file}: reading stopped after line ${number} (${readProblem(error)}); ` +
          `nothing after that line was sent: run requeue again once the file can be read${soFar()}`,
        1,
        error,
      );
    }
    if (next.done) break;
    number++;
    const parsed = readFailureLogLine(next.value, number);
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

  const summary =
    `${tally.lines} commits in ${options.file}: ${tally.accepted} accepted${earlier(tally.duplicates)}` +
    (tally.malformed.length > 0
      ? `, ${tally.malformed.length} malformed${lineList(tally.malformed)}`
      : '') +
    (tally.rejected.length > 0
      ? `, ${tally.rejected.length} refused${lineList(tally.rejected.map((r) => r.line))}`
      : '') +
    (tally.rejected.some((r) => r.laneFull)
      ? '; those refused with BACKLOG_FULL wait for their lane to drain: run requeue again ' +
        'within DEDUP_WINDOW (24 h by default), and the commits already taken are answered as ' +
        'duplicates, not delivered twice'
      : '');
  if (tally.malformed.length > 0 || tally.rejected.length > 0) {
    throw new CliError('REQUEUE_INCOMPLETE', summary);
  }
  options.out(`requeue: done: ${summary}`);
}
