import { readFileSync } from 'node:fs';
import { captureLogLines } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import { loadDashboardConfig, loadIngestConfig, loadWorkerConfig } from './config.ts';
import { describeConfig } from './describe-config.ts';
import { createLogger } from './logger.ts';

const SECRET_A = 'a'.repeat(32);
const SECRET_B = 'b'.repeat(40);

describe('describeConfig', () => {
  it('redacts the ingest secrets, keeps their count, and masks the Redis password', () => {
    const config = loadIngestConfig({
      INGEST_SECRETS: `${SECRET_A},${SECRET_B}`,
      REDIS_URL: 'redis://:hunter2@redis:6379/0',
    });
    const described = describeConfig(config);
    expect(described).toMatchObject({
      secrets: ['[redacted]', '[redacted]'],
      secretsCount: 2,
      redisUrl: 'redis://:***@redis:6379/0',
      port: 8080,
      maxCommitBytes: 1_000_000,
    });
    // As logged at start-up: the logger censors `secrets` whole, and the count stays.
    const sink = captureLogLines();
    createLogger({ service: 'ingest', destination: sink }).info({ config: described }, 'running');
    expect(sink.lines[0]).toMatchObject({ config: { secrets: '[redacted]', secretsCount: 2 } });
    const text = JSON.stringify(described);
    expect(text).not.toContain(SECRET_A);
    expect(text).not.toContain(SECRET_B);
    expect(text).not.toContain('hunter2');
  });

  it('redacts the Kafka SASL password and keeps the rest of the Kafka settings', () => {
    const config = loadWorkerConfig(
      {
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'commitlog',
        KAFKA_SASL_PASSWORD: 'kafka-pass',
        ROUTES_FILE: '/etc/commitlog/routes.json',
      },
      { readFile: () => '{"routes":[]}' },
    );
    const described = describeConfig(config);
    expect(described.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      clientId: 'commitlog-worker',
      ssl: false,
      sasl: { mechanism: 'scram-sha-512', username: 'commitlog', password: '[redacted]' },
    });
    expect(described.routes).toEqual([]);
    expect(JSON.stringify(described)).not.toContain('kafka-pass');
  });

  it('logs a CA file by its path and block count, not its text', () => {
    const pem = readFileSync(new URL('./fixtures/test-ca.pem', import.meta.url), 'utf8');
    const config = loadWorkerConfig(
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/commitlog/kafka-ca.pem' },
      { readFile: () => `${pem}\n${pem}` },
    );
    expect(describeConfig(config).kafka).toMatchObject({
      ssl: true,
      sslCa: '[PEM: 2 blocks]',
      sslCaFile: '/etc/commitlog/kafka-ca.pem',
    });
  });

  it('redacts the private key of a client certificate', () => {
    const fixture = (name: string) =>
      readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
    const files: Record<string, string> = {
      'client.pem': fixture('test-client.pem'),
      'client.key': `# the worker's key\n${fixture('test-client.key')}`,
    };
    const config = loadWorkerConfig(
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: 'client.pem', KAFKA_SSL_KEY_FILE: 'client.key' },
      { readFile: (path) => files[path] ?? '' },
    );
    const described = describeConfig(config);
    expect(described.kafka).toMatchObject({
      sslClient: { cert: '[PEM: 1 block]', key: '[redacted]' },
    });
    expect(JSON.stringify(described)).not.toContain('PRIVATE KEY');
  });

  it('redacts the dashboard users and leaves an unset value unset', () => {
    const hash = `scrypt:16384:8:1:${'s'.repeat(22)}:${'h'.repeat(43)}`;
    const config = loadDashboardConfig({ DASHBOARD_USERS: `ops:admin:${hash}` });
    expect(describeConfig(config).users).toEqual(['[redacted]']);
    expect(describeConfig(config).sessionSecret).toBeUndefined();
  });

  it('does not change the configuration it describes', () => {
    const config = loadIngestConfig({ INGEST_SECRETS: SECRET_A });
    describeConfig(config);
    expect(config.secrets).toEqual([SECRET_A]);
  });
});
