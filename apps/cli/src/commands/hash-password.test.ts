import { verifyPassword } from '@commitlog/runtime';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { hashPasswordCommand } from './hash-password.ts';

/** A terminal that types `keys` (raw mode: one character at a time, nothing echoed). */
function terminal(keys: string): NodeJS.ReadStream {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  const modes: boolean[] = [];
  Object.assign(stream, {
    isTTY: true,
    setRawMode: (on: boolean) => {
      modes.push(on);
      return stream;
    },
  });
  setImmediate(() => stream.write(keys));
  return stream;
}

async function hashTyped(keys: string): Promise<string> {
  const out: string[] = [];
  await hashPasswordCommand({
    stdin: terminal(keys),
    err: () => undefined,
    out: (l) => out.push(l),
  });
  return out[0] ?? '';
}

describe('dashboard hash-password at a terminal', () => {
  it('hashes what was typed up to Enter, with Backspace applied', async () => {
    const hash = await hashTyped('corect\u007f\u007fct horse\r');
    expect(await verifyPassword('corect horse', hash)).toBe(true);
  });

  it('ends the input at Ctrl-D, and gives up on an empty line', async () => {
    expect(await verifyPassword('battery staple', await hashTyped('battery staple\u0004'))).toBe(
      true,
    );
    await expect(hashTyped('\u0004')).rejects.toThrow('cancelled');
    await expect(hashTyped('stap\u0003')).rejects.toThrow('cancelled');
  });

  it('refuses a control character (an arrow key) rather than hash a password nobody can type', async () => {
    const typed = hashTyped('pass\u001b[Dword\r');
    await expect(typed).rejects.toBeInstanceOf(CliError);
    await expect(typed).rejects.toThrow(/control character/);
  });
});

/** Piped input arriving in these chunks (not a terminal). */
async function hashPiped(...chunks: Buffer[]): Promise<string> {
  const out: string[] = [];
  await hashPasswordCommand({
    stdin: Readable.from(chunks) as unknown as NodeJS.ReadStream,
    err: () => undefined,
    out: (l) => out.push(l),
  });
  return out[0] ?? '';
}

describe('dashboard hash-password with piped input', () => {
  it('hashes the first line without the byte order mark a file saved by Notepad begins with', async () => {
    const hash = await hashPiped(Buffer.from('\uFEFFcorrect horse\r\nsecond line\n'));
    expect(await verifyPassword('correct horse', hash)).toBe(true);
  });

  it('keeps a character whole when it arrives split across two chunks', async () => {
    const bytes = Buffer.from('\uFEFFpässwörd staple\n');
    // Splits the mark itself, and then the two bytes of "ä".
    const hash = await hashPiped(bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5));
    expect(await verifyPassword('pässwörd staple', hash)).toBe(true);
  });
});
