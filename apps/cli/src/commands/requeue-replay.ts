import { CliError } from '../cli-error.ts';
import { errorText, isLaneFull, lineList, refusalHint } from './requeue-text.ts';
import { retryingSender, type RetryingSenderOptions } from './requeue-send.ts';

export interface Entry {
  line: number;
  bytes: Buffer;
  /** Its Riak object (see `parseFailureLogLine`). */
  object: string;
}

export interface Tally {
  lines: number;
  accepted: number;
  duplicates: number;
  malformed: number[];
  /**
   * `laneFull`: refused for a full lane, or held behind a commit so refused; `held`: held behind
   * an earlier refused commit of its object rather than refused itself.
   */
  rejected: { line: number; why: string; laneFull: boolean; held?: boolean }[];
}

export interface ReplayOptions extends Omit<RetryingSenderOptions, 'soFar'> {
  /** The ingest's base URL. */
  base: string;
  /** Progress lines. */
  out: (line: string) => void;
  /** Called with each entry refused or held back, and why, to keep it for a later run. */
  keep?: (entry: Entry, why: string) => void;
}

/**
 * The sending half of `requeue`: batches of failure-log entries posted to the ingest, a refused
 * batch's commits found one by one, and the tally of what became of each line.
 */
export function batchReplay(options: ReplayOptions) {
  const { base, maxTries } = options;
  const send = retryingSender({ ...options, soFar });

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
   * The objects with a commit refused, its line and whether for a full lane. A later commit of
   * the same object is held back for the rest of the run, whatever the refusal: sent once the
   * lane had room, or taken where the one refused was not (a 400 or 413 is not final either: an
   * older ingest refuses a field a newer hook sends, in a rolling upgrade), it would reach Kafka
   * before that one, which a later run of FILE.refused delivers after it.
   */
  const heldBehind = new Map<string, { line: number; laneFull: boolean }>();

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
    const why =
      `held behind line ${behind.line} ` +
      `(the same key, refused ${behind.laneFull ? 'for a full lane' : 'by the ingest'})`;
    tally.rejected.push({ line: entry.line, why, laneFull: behind.laneFull, held: true });
    options.keep?.(entry, why);
    options.err(`line ${entry.line}: ${why}`);
    return true;
  }

  /**
   * `laneFullTries`: how many tries a commit gets while its lane is full (see `send`); by default
   * one once a lane was seen full, as a batch gets (`flush`), else all of them: a batch refused
   * for one bad commit goes one by one too, and its full lane's commits must not each wait out
   * their tries (about 45 s) where a batch would not have.
   */
  async function sendOneByOne(batch: Entry[], laneFullTries?: number): Promise<void> {
    for (const entry of batch) {
      if (heldBack(entry)) continue;
      const answer = await send(
        `${base}/v1/commits`,
        entry.bytes,
        entry.line,
        maxTries,
        laneFullTries ?? (laneFullSeen ? 1 : maxTries),
      );
      if (answer.status === 202) {
        tally.accepted++;
        if ((answer.body as { duplicate?: boolean }).duplicate) tally.duplicates++;
      } else {
        const laneFull = isLaneFull(answer);
        laneFullSeen ||= laneFull;
        tally.rejected.push({ line: entry.line, why: errorText(answer), laneFull });
        options.keep?.(entry, errorText(answer));
        // The object's first refusal: `heldBack` above kept the entry had there been one.
        heldBehind.set(entry.object, { line: entry.line, laneFull });
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

  return { tally, soFar, heldBack, flush };
}
