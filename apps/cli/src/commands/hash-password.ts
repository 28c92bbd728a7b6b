import { hashPassword } from '@commitlog/runtime';
import { CliError } from '../cli-error.ts';

export interface HashPasswordOptions {
  stdin: NodeJS.ReadStream;
  /** The prompt goes here, never the password. */
  err: (text: string) => void;
  out: (line: string) => void;
}

/** Reads one line from a terminal without echoing it. */
function readHidden(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n') return done();
        if (c === '\u0003') return done(new CliError('CANCELLED', 'cancelled'));
        // Ctrl-D ends the input, as in a shell; on an empty line, it gives up.
        if (c === '\u0004') {
          return line === '' ? done(new CliError('CANCELLED', 'cancelled')) : done();
        }
        if (c === '\u007f' || c === '\b') line = line.slice(0, -1);
        else if (c < ' ') {
          // An arrow or function key (an escape sequence), Tab, Ctrl-something: not what the
          // password will be typed as at sign-in, so not hashed.
          return done(
            new CliError(
              'BAD_PASSWORD',
              'the password holds a control character (an arrow key, Tab, Ctrl-…): type it again without',
            ),
          );
        } else line += c;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Reads the first line of piped input. Decoded as one stream, so that a character split across
 * two chunks stays one character; and without a leading byte order mark (a file saved by Notepad
 * begins with one), which nobody types at sign-in.
 */
async function readFirstLine(stdin: NodeJS.ReadStream): Promise<string> {
  const decoder = new TextDecoder(); // Drops one leading BOM (ignoreBOM: false).
  let text = '';
  for await (const chunk of stdin) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    if (text.includes('\n')) break;
  }
  text += decoder.decode();
  return text.split(/\r?\n/)[0] ?? '';
}

/**
 * `commitlog dashboard hash-password`: reads a password (hidden at a terminal, or the first line of
 * piped input; never an argument, which would land in the shell history) and prints the hash that
 * a `DASHBOARD_USERS` entry takes: `name:role:<hash>`.
 */
export async function hashPasswordCommand(options: HashPasswordOptions): Promise<void> {
  let password: string;
  if (options.stdin.isTTY) {
    options.err('password (not shown): ');
    password = await readHidden(options.stdin);
    options.err('\n');
  } else {
    password = await readFirstLine(options.stdin);
  }
  options.out(await hashPassword(password));
}
