// Row 10: poison and hostile input. Every request of hostile-requests.ts is refused with its 4xx;
// slow clients (slowloris: headers or a body one byte at a time) are cut off by the ingest's
// time-outs while other clients are still served; a replayed request inside the replay window is
// answered as a duplicate. At the end nothing was enqueued but the one valid commit, and the
// ingest process is alive and healthy.
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import {
  putCommit,
  startPrivateRedis,
  startSystem,
  uniqueName,
  type RunningSystem,
} from '@commitlog/testkit';
import { request } from 'node:http';
import { connect } from 'node:net';
import { laneCounts } from '../fault-oracle.ts';
import { hostileRequests } from '../hostile-requests.ts';
import { watchAlive, type HostileOutcome, type RowResult, type Scenario } from '../row-result.ts';

const LANES = 8;

/** Posts raw bytes; the status, or 0 when the connection ended without an answer. */
function postRaw(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<number> {
  return new Promise((resolve) => {
    let status = 0;
    const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => resolve(status));
      res.on('error', () => resolve(status));
    });
    // The ingest may answer (413) and close before the body is all sent: keep the answer.
    req.on('error', () => setTimeout(() => resolve(status), 200));
    req.setTimeout(30_000, () => req.destroy());
    req.end(body);
  });
}

/**
 * A slowloris client: sends `head`, then one byte of `trickle` a second. Resolves with what the
 * ingest answered (`408`, say) or `closed` once it cuts the connection, or `open` after `maxMs`.
 */
function slowClient(port: number, head: string, trickle: string, maxMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    let i = 0;
    const drip = setInterval(() => {
      if (i < trickle.length) socket.write(trickle[i++]!);
    }, 1000);
    const finish = (outcome: string): void => {
      clearInterval(drip);
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('open'), maxMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 'closed'));
  });
}

function slowClients(system: RunningSystem, bucket: string): Promise<string[]> {
  const port = Number(new URL(system.ingestUrl).port);
  const body = JSON.stringify(putCommit({ bucket, key: 'slow' }));
  const signature = signRequest(system.secret, Buffer.from(body), Date.now() / 1000);
  const headers = [
    'POST /v1/commits HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `${SIGNATURE_HEADER}: ${signature}`,
    `Content-Length: ${body.length}`,
  ];
  // 30 s of request time-out (checked every second since the ingest sets it so), with room.
  const maxMs = 75_000;
  const slowHeaders = () =>
    slowClient(port, `${headers[0]}\r\n`, 'X-Slow: aaaaaaaaaaaaaaaa', maxMs);
  const slowBody = () => slowClient(port, `${headers.join('\r\n')}\r\n\r\n`, body, maxMs);
  return Promise.all([
    ...Array.from({ length: 10 }, slowHeaders),
    ...Array.from({ length: 10 }, slowBody),
  ]);
}

export function hostileInput(): Scenario {
  return {
    row: '10',
    title: 'poison and hostile input',
    async run({ log }) {
      const redis = await startPrivateRedis();
      let system: RunningSystem | undefined;
      try {
        system = await startSystem({
          redisUrl: redis.url,
          kafkaBrokers: ['127.0.0.1:9'], // no worker: whatever is enqueued stays to be counted
          workers: 0,
          env: { LANES: String(LANES) },
        });
        const ingestAlive = watchAlive(system.ingest);
        const bucket = uniqueName('hostile');
        const problems: string[] = [];
        const notes: string[] = [];
        const requests: HostileOutcome['requests'] = [];
        const slow = slowClients(system, bucket);
        for (const hostile of hostileRequests(system.secret, bucket)) {
          const status = await postRaw(
            system.ingestUrl,
            hostile.path,
            hostile.headers,
            hostile.body,
          );
          requests.push({ name: hostile.name, status, expected: hostile.expect });
          notes.push(`${hostile.name}: ${status}`);
          if (!hostile.expect.includes(status)) {
            problems.push(`${hostile.name}: ${status}, expected ${hostile.expect.join(' or ')}`);
          }
        }
        log(`${notes.length} hostile requests sent; waiting for the slow clients`);
        // Served while the slow clients hold their connections; then the same request replayed.
        const commit = putCommit({ bucket, key: 'valid' });
        const first = await system.post(commit);
        const body = Buffer.from(JSON.stringify(commit));
        const headers = {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signRequest(system.secret, body, Date.now() / 1000),
        };
        const replays = await Promise.all(
          [1, 2].map(() => postRaw(system!.ingestUrl, '/v1/commits', headers, body)),
        );
        if (first.status !== 202)
          problems.push(`a valid commit among slow clients: ${first.status}`);
        if (replays.some((s) => s !== 202))
          problems.push(`identical replays: ${replays.join(', ')}`);
        const slowOutcomes = await slow;
        notes.push(`slow clients: ${[...new Set(slowOutcomes)].join(', ')}`);
        if (slowOutcomes.includes('open')) problems.push('a slow client was never cut off');
        const counts = await laneCounts(redis.url, system.prefix, LANES);
        notes.push(`jobs stored: ${counts.unfinished} (the one valid commit)`);
        if (counts.unfinished !== 1) problems.push(`${counts.unfinished} jobs stored, expected 1`);
        const alive = ingestAlive();
        const health = await fetch(`${system.ingestUrl}/healthz`)
          .then((r) => r.status)
          .catch(() => 0);
        if (!alive || health !== 200) problems.push(`the ingest is not alive (healthz ${health})`);
        // No load and no worker: nothing accepted is followed to Kafka, so no loss is measured (–).
        const result: RowResult = {
          row: '10',
          fault: `hostile input (${requests.length} kinds + ${slowOutcomes.length} slowloris)`,
          accepted: undefined,
          delivered: undefined,
          lost: undefined,
          duplicates: undefined,
          failed: undefined,
          recoveryMs: undefined,
          notes,
          problems,
          hostile: {
            requests,
            slowClients: slowOutcomes,
            valid: first.status,
            replays,
            jobsStored: counts.unfinished,
            ingestAlive: alive,
            healthz: health,
          },
        };
        return [result];
      } finally {
        await system?.ingest.stop();
        await redis.cleanup();
      }
    },
  };
}
