/**
 * B1, bare HTTP: `node:http` or express answering 202 after checking and parsing the commit, and
 * storing it nowhere. The ceiling of any ingest on this machine.
 * Usage: node bench/baselines/bare-http.ts node|express   (env BENCH_SECRET)
 */
import express from 'express';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptCommit, benchSecrets, report } from './accept-commit.ts';
import { readBody } from './read-body.ts';
import { sendJson } from './send-json.ts';

const flavour = process.argv[2] === 'express' ? 'express' : 'node';
const secrets = benchSecrets();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const signature = req.headers['x-commitlog-signature'];
  const accepted = acceptCommit(
    body,
    typeof signature === 'string' ? signature : undefined,
    secrets,
  );
  const answer = accepted.ok ? { id: accepted.id, lane: accepted.lane, duplicate: false } : {};
  sendJson(res, accepted.ok ? 202 : accepted.status, answer);
}

const onError = (res: ServerResponse) => () => sendJson(res, 500, {});

let server;
if (flavour === 'express') {
  const app = express();
  app.post('/v1/commits', (req, res) => {
    handle(req, res).catch(onError(res));
  });
  server = createServer(app);
} else {
  server = createServer((req, res) => {
    handle(req, res).catch(onError(res));
  });
}
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  report({ ready: true, port: (server.address() as AddressInfo).port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
