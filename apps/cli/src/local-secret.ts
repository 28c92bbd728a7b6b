import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, parseSigningSecrets } from '@commitlog/runtime';
import { CliError } from './cli-error.ts';
import { whyUnreadable } from './readable-file.ts';

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
 * The secret kept in `.data/<name>`, or undefined when none of at least 32 characters is.
 * `instead` names the variable that makes the file unneeded (`INGEST_SECRETS`), for the error.
 *
 * @throws CliError `SECRET_UNREADABLE` when the file is there but cannot be read (a root-owned
 *   one after `sudo ./commitlog up`): a new secret written over it would stop every hook, run and
 *   session that signs with the kept one
 */
export function readKeptSecret(
  repoRoot: string,
  name: string,
  instead: string,
): string | undefined {
  const file = join(repoRoot, '.data', name);
  let kept: string;
  try {
    kept = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // Not created yet.
    throw new CliError(
      'SECRET_UNREADABLE',
      `cannot read the kept secret ${file}: ${whyUnreadable(error)} (make it readable to this user, or set ${instead})`,
      1,
      error,
    );
  }
  return kept.length >= 32 ? kept : undefined;
}

/** A new random secret, 64 hex characters. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Keeps `secret` in `.data/<name>` (git-ignored, mode 600). Written to a new file (`wx`: never
 * through a link someone left there) that then takes the name: `writeFileSync`'s mode applies
 * only to a file it creates, and a file already there (an unusable secret, say, mode 644) kept
 * its mode with the new secret in it.
 */
export function keepSecret(repoRoot: string, name: string, secret: string): void {
  const file = join(repoRoot, '.data', name);
  mkdirSync(dirname(file), { recursive: true });
  const fresh = `${file}.${process.pid}.tmp`;
  rmSync(fresh, { force: true });
  writeFileSync(fresh, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, file);
}

/**
 * A random secret generated once and kept in `.data/<name>` (git-ignored, mode 600), so that every
 * local run and command agrees on it.
 */
export function keptSecret(repoRoot: string, name: string, instead: string): string {
  const kept = readKeptSecret(repoRoot, name, instead);
  if (kept !== undefined) return kept;
  const secret = newSecret();
  keepSecret(repoRoot, name, secret);
  return secret;
}
