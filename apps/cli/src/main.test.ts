// The CLI as a process whose reader has gone (`commitlog lanes | head -1`): `help` needs neither
// Redis nor the ingest, and writes to a pipe already closed.
import { spawn } from 'node:child_process';
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
