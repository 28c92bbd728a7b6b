import { connect } from 'node:net';

/**
 * Every command Redis runs, scripts' own included, as Redis's MONITOR reports it: the command's
 * arguments in order. Over a raw socket: ioredis's `monitor()` can fail with "Command queue state
 * error" when output arrives before it has switched the connection over.
 */
export async function monitorRedis(
  url: string,
  onCommand: (args: string[]) => void,
): Promise<{ stop(): void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line === '+OK') resolve();
        else if (line.startsWith('+')) {
          const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
            m[1]!.replace(/\\(.)/g, '$1'),
          );
          onCommand(args);
        }
      }
    });
    socket.write('MONITOR\r\n');
  });
  return { stop: () => socket.destroy() };
}
