import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, parseSigningSecrets } from '@commitlog/runtime';

/**
 * INGEST_SECRETS read by the ingest's own rule (runtime's `parseSigningSecrets`), so that the CLI
 * never signs with a secret the ingest would refuse; `undefined` when unset or blank.
 *
 * @throws ConfigError naming INGEST_SECRETS, which shows lengths, never a secret
 */
export function configuredSecrets(env: NodeJS.ProcessEnv): string[] | undefined {
  const text = env.INGEST_SECRETS ?? '';
  if (text.split(',').every((s) => s.trim() === '')) return undefined;
  const parsed = parseSigningSecrets(text);
  if (!parsed.ok) throw new ConfigError([{ variable: 'INGEST_SECRETS', message: parsed.message }]);
  return parsed.value;
}

/**
 * The signing secret of a local `up`: INGEST_SECRETS when set, otherwise one generated once and
 * kept in `.data/ingest-secret` (git-ignored, mode 600) so that `post` and later runs agree.
 *
 * @throws ConfigError naming INGEST_SECRETS when it holds secrets the ingest would refuse
 */
export function localSecrets(repoRoot: string, env: NodeJS.ProcessEnv): string[] {
  return configuredSecrets(env) ?? [keptSecret(repoRoot, 'ingest-secret')];
}

/**
 * A random secret generated once and kept in `.data/<name>` (git-ignored, mode 600), so that every
 * local run and command agrees on it.
 */
export function keptSecret(repoRoot: string, name: string): string {
  const file = join(repoRoot, '.data', name);
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch {
    // Not created yet.
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
