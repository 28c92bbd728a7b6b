// The CLI as a process whose output cannot be written: to a reader that has gone
// (`commitlog lanes | head -1`), or to a full disk. `help` needs neither Redis nor the ingest.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('commitlog with its output piped to a reader that has gone', () => {
  it('ends quietly with its own exit code, not a stack trace', async () => {
    const child = spawn(process.execPath, [MAIN, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the process starts, so its one write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

// Linux's /dev/full answers every write with ENOSPC, as a full disk does.
describe.skipIf(!existsSync('/dev/full'))('commitlog with its output going to a full disk', () => {
  it('says so in one line and exits 1, not 0 with nothing written', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [MAIN, 'help'], { stdio: ['ignore', full, 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toMatch(/^commitlog: cannot write the output: ENOSPC[^\n]*\n$/);
      expect(code).toBe(1);
    } finally {
      closeSync(full);
    }
  });
});
