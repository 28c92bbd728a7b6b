// The image's install, checked without Docker (none runs here): the Dockerfile's COPY lines and its
// `pnpm install` run in a folder of their own, offline from the store this checkout installed
// from, leaving out what .dockerignore leaves out. The roles' code must load from what it installs,
// and the test kit (vitest, vite) must not be in it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Dockerfile's instructions, continuation lines joined. */
function instructions(): { op: string; args: string[] }[] {
  return readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [op = '', ...args] = line.trim().split(/\s+/);
      return { op, args: args.map((a) => a.replace(/^"(.*)"$/, '$1')) };
    });
}

/** Folder names .dockerignore leaves out wherever they are (its patterns here are all such). */
const IGNORED = new Set(
  readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => basename(line.trim()))
    .filter((name) => name !== ''),
);

describe('Dockerfile', () => {
  const image = mkdtempSync(join(tmpdir(), 'commitlog-image-'));

  afterAll(() => rmSync(image, { recursive: true, force: true }));

  it('builds on the Node version the project pins, not whichever 24.x is newest', () => {
    const from = instructions().find((i) => i.op === 'FROM')?.args[0];
    const pinned = readFileSync(join(root, '.node-version'), 'utf8').trim();
    expect(from).toBe(`node:${pinned}-slim`);
  });

  it("installs what the roles load, and not the test kit's vitest and vite", () => {
    for (const { op, args } of instructions()) {
      if (op === 'COPY') {
        const target = join(image, args.at(-1)!);
        for (const source of args.slice(0, -1)) {
          const into = target.endsWith('/') ? join(target, basename(source)) : target;
          cpSync(join(root, source), into, {
            recursive: true,
            filter: (path) => !IGNORED.has(basename(path)),
          });
        }
      } else if (op === 'RUN' && args[0] === 'pnpm') {
        const run = spawnSync('pnpm', [...args.slice(1), '--offline'], {
          cwd: image,
          encoding: 'utf8',
          timeout: 120_000,
        });
        // Its output may be silent: `pnpm -s test` passes npm_config_reporter=silent down.
        expect(run.error).toBeUndefined();
        expect(run.status, `${run.stderr}${run.stdout}`).toBe(0);
      }
    }
    const installed = readdirSync(join(image, 'node_modules', '.pnpm'));
    expect(installed.some((name) => name.startsWith('bullmq@'))).toBe(true);
    expect(installed.filter((name) => /^(vitest|vite)@/.test(name))).toEqual([]);

    // Each role's start-up module and the CLI, with everything they import, from the image.
    const modules = [
      'apps/ingest/src/start-ingest.ts',
      'apps/worker/src/start-worker.ts',
      'apps/dashboard/src/start-dashboard.ts',
      'apps/cli/src/run-cli.ts',
    ];
    for (const module of modules) expect(existsSync(join(image, module))).toBe(true);
    const load = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const m of ${JSON.stringify(modules)}) await import('./' + m);`,
      ],
      { cwd: image, encoding: 'utf8', timeout: 60_000 },
    );
    expect(load.stderr).toBe('');
    expect(load.status).toBe(0);
  });
});
