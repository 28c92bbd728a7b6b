import { randomBytes } from 'node:crypto';

/** A name no other test run will pick: `<prefix>-<time>-<random>`, safe for topics and keys. */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 60);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
