import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The signing secret of a local `up`: INGEST_SECRETS when set, otherwise one generated once and
 * kept in `.data/ingest-secret` (git-ignored, mode 600) so that `post` and later runs agree.
 */
export function localSecrets(repoRoot: string, env: NodeJS.ProcessEnv): string[] {
  const configured = env.INGEST_SECRETS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (configured && configured.length > 0) return configured;
  return [keptSecret(repoRoot, 'ingest-secret')];
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
