import { createReadStream, mkdtempSync, writeFileSync, type ReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLines } from './file-lines.ts';

function file(content: Buffer | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'file-lines-')), 'log.jsonl');
  writeFileSync(path, content);
  return path;
}

async function all(path: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of fileLines(path)) {
    lines.push(Buffer.isBuffer(line) ? line.toString('latin1') : `(${line.bytes} bytes, too long)`);
  }
  return lines;
}

describe('fileLines', () => {
  it('hands out every line, blank ones and a last one without its newline included', async () => {
    expect(await all(file('a\n\nb\r\nc'))).toEqual(['a', '', 'b\r', 'c']);
    expect(await all(file('a\nb\n'))).toEqual(['a', 'b']);
    expect(await all(file(''))).toEqual([]);
  });

  it('keeps lines longer than a chunk whole, and bytes that are not UTF-8 as they are', async () => {
    const long = 'x'.repeat(300_000);
    const bytes = Buffer.concat([
      Buffer.from(`${long}\n`),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
      Buffer.from('end'),
    ]);
    const lines = await all(file(bytes));
    expect(lines.map((l) => l.length)).toEqual([300_000, 4, 3]);
    expect(lines[0]).toBe(long);
    expect(Buffer.from(lines[1]!, 'latin1')).toEqual(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  });

  it('reads no further than the caller takes', async () => {
    // 40 lines of 1 MiB: taking the first one must not have read the others into memory.
    const mib = 'y'.repeat(1024 * 1024);
    const path = file(Array.from({ length: 40 }, () => mib).join('\n'));
    const streams: ReadStream[] = [];
    const lines = fileLines(path, undefined, (p) => {
      streams.push(createReadStream(p));
      return streams.at(-1)!;
    });
    const first = await lines.next();
    expect(first.done).toBe(false);
    expect((first.value as Buffer).length).toBe(1024 * 1024);
    // The line and what the stream reads ahead (a chunk of 64 KiB, another in its buffer).
    expect(streams).toHaveLength(1);
    expect(streams[0]!.bytesRead).toBeLessThanOrEqual(1024 * 1024 + 3 * 64 * 1024);
    await lines.return(undefined);
  });

  it('counts a line over the limit without holding it, and reads on after it', async () => {
    const path = file(`short\n${'z'.repeat(200_000)}\nnext\n${'w'.repeat(70_000)}`);
    const lines: unknown[] = [];
    for await (const line of fileLines(path, 65_536)) {
      lines.push(Buffer.isBuffer(line) ? line.toString('utf8') : { ...line });
    }
    expect(lines).toEqual([
      'short',
      { tooLong: true, bytes: 200_000 },
      'next',
      { tooLong: true, bytes: 70_000 },
    ]);
  });
});
