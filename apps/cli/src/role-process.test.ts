import { describe, expect, it } from 'vitest';
import { filesFromCaller } from './role-process.ts';

describe('the file settings a role is started with', () => {
  it('are resolved from where the command was typed, as file arguments are', () => {
    const env = {
      COMMITLOG_CALLER_DIR: '/home/ops/site',
      ROUTES_FILE: 'routes.json',
      REDIS_TLS_CA_FILE: '../ca/redis.pem',
      KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
      KAFKA_SSL_KEY_FILE: '',
      LANES: '16',
    };
    expect(filesFromCaller(env)).toEqual({
      ...env,
      ROUTES_FILE: '/home/ops/site/routes.json',
      REDIS_TLS_CA_FILE: '/home/ops/ca/redis.pem',
    });
  });

  it('are left as they are without a caller directory (the CLI run directly, a pod)', () => {
    const env = { ROUTES_FILE: 'routes.json' };
    expect(filesFromCaller(env)).toEqual(env);
  });
});
