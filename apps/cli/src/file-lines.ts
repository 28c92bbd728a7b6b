import { createReadStream, type ReadStream } from 'node:fs';

/** A line longer than the caller's `maxLineBytes`: skipped unread, only its length is known. */
export interface TooLongLine {
  tooLong: true;
  /** Its length in bytes, without the `\n`. */
  bytes: number;
}

/**
 * The lines of a file, as bytes without their `\n`, read only as fast as the caller takes them:
 * what is held is the stream's one chunk (64 KiB) and the line being handed out, however long
 * the lines and however long the caller waits between two. (readline's async iterator reads
 * ahead up to 1,024 lines, gigabytes when each holds a commit of a megabyte.) A last line without
 * its `\n` is handed out too; the empty line after a final `\n` is not. A line over
 * `maxLineBytes` is not held at all: it comes as a `TooLongLine` (a file with no `\n` in it, a
 * crash's tail of NULs, the wrong file, would otherwise be gathered whole into memory).
 */
export async function* fileLines(
  path: string,
  maxLineBytes = Number.POSITIVE_INFINITY,
  open: (path: string) => ReadStream = createReadStream,
): AsyncGenerator<Buffer | TooLongLine> {
  let partial: Buffer[] = [];
  /** Bytes of the line so far, held in `partial` or, past the limit, only counted. */
  let length = 0;
  const take = (piece: Buffer): void => {
    length += piece.length;
    if (length > maxLineBytes) partial = [];
    else partial.push(piece);
  };
  const line = (): Buffer | TooLongLine => {
    const whole: Buffer | TooLongLine =
      length > maxLineBytes ? { tooLong: true, bytes: length } : Buffer.concat(partial);
    partial = [];
    length = 0;
    return whole;
  };
  for await (const chunk of open(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      take(chunk.subarray(start, end));
      start = end + 1;
      yield line();
    }
    if (start < chunk.length) take(chunk.subarray(start));
  }
  if (length > 0) yield line();
}
