/**
 * `pnpm bench:quick [commits] [clients] [workers]`: the simplest load there is. Starts an ingest and
 * workers as real processes against the local Redis and Kafka, posts `commits` signed single
 * commits (1 KiB values, 1,000 keys) from `clients` closed-loop clients over keep-alive, and
 * reports how fast they were accepted and delivered. Not the benchmark (that is bench/ proper,
 * with baselines); a smoke measurement to see where we stand.
 */
import { putCommit, startSystem, uniqueName } from '@commitlog/testkit';
import { rssBytes, sampleUsage } from './lib/proc-sampler.ts';

const [commits = 5000, clients = 32, workers = 1] = process.argv.slice(2).map(Number);

async function deliveredTotal(ports: number[]): Promise<number> {
  const texts = await Promise.all(
    ports.map((p) => fetch(`http://127.0.0.1:${p}/metrics`).then((r) => r.text())),
  );
  return texts.reduce(
    (sum, t) => sum + Number(/^commitlog_delivered_total\S* (\d+)/m.exec(t)?.[1] ?? 0),
    0,
  );
}

/** How long the deliveries may stand still before the run gives up on them. */
const STILL_LIMIT_MS = 30_000;

/**
 * Waits until the workers have delivered `expected` commits, printing progress every 5 s. Gives
 * up, exiting 1, when none has been delivered for STILL_LIMIT_MS: the usual cause is a Kafka
 * broker that is not running, and the workers wait for it without end.
 */
async function waitForDeliveries(ports: number[], expected: number): Promise<void> {
  let last = -1;
  let movedAt = performance.now();
  let reportedAt = performance.now();
  for (;;) {
    const delivered = await deliveredTotal(ports);
    if (delivered >= expected) return;
    const now = performance.now();
    if (delivered !== last) {
      last = delivered;
      movedAt = now;
    }
    if (now - movedAt >= STILL_LIMIT_MS) {
      throw new Error(
        `no commit delivered for ${STILL_LIMIT_MS / 1000} s (${delivered} of ${expected}): is Kafka running at ${process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'}? \`bash infra/up.sh\` starts the local one`,
      );
    }
    if (now - reportedAt >= 5_000) {
      reportedAt = now;
      process.stdout.write(`  ${delivered} of ${expected} delivered\n`);
    }
    // Not faster: each scrape of a worker's /metrics reads every lane from Redis, load that
    // this run would measure as its own.
    await new Promise((r) => setTimeout(r, 200));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

const system = await startSystem({ workers, env: { LANES: '16', LOG_LEVEL: 'warn' } });
try {
  const processes = {
    ingest: system.ingest.pid,
    ...Object.fromEntries(system.workers.map((w, i) => [`worker ${i + 1}`, w.pid])),
  };
  const idleRss = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, rssBytes(pid)]),
  );
  const bucket = uniqueName('bench');
  const value = 'x'.repeat(1024);
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  process.stdout.write(
    `posting ${commits} commits from ${clients} clients to ${workers} worker(s)\n`,
  );
  const started = performance.now();
  const sampler = sampleUsage(processes);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < commits) {
        const n = next++;
        const t0 = performance.now();
        const response = await system.post(putCommit({ bucket, key: `k${n % 1000}`, value }));
        latencies.push(performance.now() - t0);
        if (response.status !== 202) refused++;
        if (n > 0 && n % 1000 === 0) process.stdout.write(`  ${n} posted\n`);
      }
    }),
  );
  const acceptedSeconds = (performance.now() - started) / 1000;
  const ports = system.workers.map((w) => w.port);
  await waitForDeliveries(ports, commits - refused);
  const deliveredSeconds = (performance.now() - started) / 1000;
  const usage = sampler.stop();
  latencies.sort((a, b) => a - b);
  const accepted = commits - refused;
  process.stdout.write(
    [
      `accepted   ${accepted} in ${acceptedSeconds.toFixed(2)} s = ${(accepted / acceptedSeconds).toFixed(0)}/s (refused ${refused})`,
      `delivered  ${accepted} in ${deliveredSeconds.toFixed(2)} s = ${(accepted / deliveredSeconds).toFixed(0)}/s (from first post to last Kafka ack)`,
      `accept latency  p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms`,
      ...usage.map(
        (u) =>
          `${u.name.padEnd(9)}  RSS idle ${mib(idleRss[u.name] ?? NaN)} MiB, peak ${mib(u.peakRssBytes)} MiB; CPU ${u.cpuSeconds.toFixed(1)} s`,
      ),
      '',
    ].join('\n'),
  );
} catch (error) {
  process.stderr.write(`bench:quick: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await system.stop();
}
