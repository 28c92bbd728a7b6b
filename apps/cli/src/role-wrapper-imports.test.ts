// `commitlog ingest|worker|dashboard` (what a pod runs) stays beside its role for the role's
// life: it must not load the libraries the other commands need (run-cli.ts loads them lazily).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const RUN_CLI = new URL('./run-cli.ts', import.meta.url).href;

/** The URLs of every module that importing run-cli.ts resolves, in a Node of its own. */
function modulesLoadedByRunCli(): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    await import(${JSON.stringify(RUN_CLI)});
    process.stdout.write(JSON.stringify(seen));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe("the CLI's entry, as a pod runs it to start a role", () => {
  it('loads no library but its own modules', () => {
    const loaded = modulesLoadedByRunCli();
    expect(loaded.some((url) => url.endsWith('/role-process.ts'))).toBe(true);
    expect(loaded.filter((url) => url.includes('/node_modules/'))).toEqual([]);
  });
});
