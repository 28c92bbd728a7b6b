import type { Socket } from 'node:net';

/** Counts the writes that reach a socket's handle (one system call each) from now on. */
export function countSocketWrites(socket: Socket): () => number {
  let writes = 0;
  const internal = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
  for (const name of ['_write', '_writev'] as const) {
    const original = internal[name].bind(socket);
    internal[name] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  return () => writes;
}
