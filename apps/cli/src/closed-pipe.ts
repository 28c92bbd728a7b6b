import type { EventEmitter } from 'node:events';

/**
 * Lets a command's output end quietly when its reader goes away (`commitlog lanes | head -1`).
 * Node ignores SIGPIPE and reports the closed pipe as an `error` event on the stream, which,
 * unheard, ends the process with a stack trace. Heard, the stream is destroyed, later writes go
 * nowhere, and the command runs to its end with its own exit code (a requeue stopped half-way by
 * `| head` would look like a success). Any other write error is passed to `onOther`.
 */
export function endQuietlyOnClosedPipe(
  stream: EventEmitter,
  onOther: (error: Error) => void,
): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') onOther(error);
  });
}

/**
 * Watches a command's output (`commitlog audit > /dev/full`: ENOSPC): `onLost` hears the first
 * write error other than a closed pipe, and `lost()` tells whether there was one. Every later
 * write fails the same way, and is not said again.
 */
export function watchOutput(
  stream: EventEmitter,
  onLost: (error: Error) => void,
): { lost: () => boolean } {
  let lost = false;
  endQuietlyOnClosedPipe(stream, (error) => {
    if (lost) return;
    lost = true;
    onLost(error);
  });
  return { lost: () => lost };
}
