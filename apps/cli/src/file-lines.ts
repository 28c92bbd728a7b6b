import { createReadStream } from 'node:fs';

/**
 * The lines of a file, as bytes without their `\n`, read only as fast as the caller takes them:
 * what is held is the stream's one chunk (64 KiB) and the line being handed out, however long
 * the lines and however long the caller waits between two. (readline's async iterator reads
 * ahead up to 1,024 lines, gigabytes when each holds a commit of a megabyte.) A last line without
 * its `\n` is handed out too; the empty line after a final `\n` is not.
 */
export async function* fileLines(path: string): AsyncGenerator<Buffer> {
  let partial: Buffer[] = [];
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      partial.push(chunk.subarray(start, end));
      const line = Buffer.concat(partial);
      partial = [];
      start = end + 1;
      yield line;
    }
    if (start < chunk.length) partial.push(chunk.subarray(start));
  }
  if (partial.length > 0) yield Buffer.concat(partial);
}
