/**
 * Runs one re-drive in a process of its own, for a test that caps that process's heap: `node
 * --max-old-space-size=N redrive-in-child.ts <redis url> <prefix> <lane> <reason> [bucket]`. Prints the
 * result as JSON, and its progress on stderr; a heap that runs out kills the process (exit 134).
 */
import { redrive } from '../src/redrive.ts';
import { createRedisConnection, whenFirstConnected } from '../src/redis-connection.ts';

const [url = '', prefix = '', lane = '0', reason = '', bucket] = process.argv.slice(2);
const redis = createRedisConnection({ url, role: 'producer', onError: () => {} });
try {
  await whenFirstConnected(redis, 10_000);
  const result = await redrive(
    redis,
    prefix,
    [Number(lane)],
    { reason, ...(bucket === undefined ? {} : { bucket }) },
    Date.now(),
    (p) => process.stderr.write(`progress: ${p.redriven} re-driven\n`),
    (r) => process.stderr.write(`reading: ${r.read} read, ${r.checked} checked\n`),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  redis.disconnect();
}
