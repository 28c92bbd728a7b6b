import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesFromCaller, runRoleInForeground } from './role-process.ts';

describe('the file settings a role is started with', () => {
  it('are resolved from where the command was typed, as file arguments are', () => {
    const env = {
      COMMITLOG_CALLER_DIR: '/home/ops/site',
      ROUTES_FILE: ' routes.json ',
      REDIS_TLS_CA_FILE: '../ca/redis.pem',
      KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
      KAFKA_SSL_CERT_FILE: ' /etc/kafka/cert.pem',
      KAFKA_SSL_KEY_FILE: '',
      LANES: '16',
    };
    expect(filesFromCaller(env)).toEqual({
      ...env,
      // Trimmed, as the role reads them: a space is no part of a path.
      ROUTES_FILE: '/home/ops/site/routes.json',
      REDIS_TLS_CA_FILE: '/home/ops/ca/redis.pem',
      KAFKA_SSL_CERT_FILE: '/etc/kafka/cert.pem',
    });
  });

  it('are left as they are without a caller directory (the CLI run directly, a pod)', () => {
    const env = { ROUTES_FILE: 'routes.json' };
    expect(filesFromCaller(env)).toEqual(env);
  });
});

describe('a role run in the foreground', () => {
  it('stopped by the signal passed on to it before it could handle it, is a stop, not a failure', async () => {
    const signals = new EventEmitter();
    const running = runRoleInForeground('ingest', {
      repoRoot: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { PATH: process.env.PATH },
      signals,
    });
    // At once: the role is still loading its code, and dies of the signal itself.
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
  });
});
