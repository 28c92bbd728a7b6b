import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  loadCliConfig,
  loadDashboardConfig,
  loadIngestConfig,
  loadWorkerConfig,
  type ConfigProblem,
} from './config.ts';

const SECRET = 's'.repeat(32);
const NEXT_SECRET = 'n'.repeat(64);

/** The problems of the `ConfigError` that `load` throws. */
function problemsOf(load: () => unknown): ConfigProblem[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function messageOf(problems: ConfigProblem[], variable: string): string | undefined {
  return problems.find((p) => p.variable === variable)?.message;
}

const COMMON_DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  queuePrefix: 'commitlog',
  lanes: 16,
  logLevel: 'info',
  commitTtlMs: 86_400_000,
  dedupWindowMs: 86_400_000,
  failedRetentionMs: 1_209_600_000,
  requireAof: false,
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('loadIngestConfig', () => {
  it('fills every default; only the secrets are required', () => {
    expect(loadIngestConfig({ INGEST_SECRETS: SECRET })).toEqual({
      ...COMMON_DEFAULTS,
      host: '127.0.0.1',
      port: 8080,
      opsPort: 8084,
      secrets: [SECRET],
      maxCommitBytes: 1_000_000,
      maxBatchBytes: 16 * 1024 * 1024,
      maxLaneBacklog: 100_000,
      maxBytesInFlight: 64 * 1024 * 1024,
      maxConnections: 1000,
      enqueueBatching: true,
      waitReplicas: 0,
      waitReplicasTimeoutMs: 1000,
      replayWindowS: 300,
      shutdownTimeoutMs: 10_000,
      routesFile: undefined,
      routes: [],
    });
  });

  it('reads every variable', () => {
    const config = loadIngestConfig({
      REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
      QUEUE_PREFIX: 'cl:prod_1-a',
      LANES: '64',
      LOG_LEVEL: 'DEBUG',
      COMMIT_TTL: '90m',
      DEDUP_WINDOW: '2d',
      FAILED_RETENTION: '30d',
      INGEST_HOST: '0.0.0.0',
      INGEST_PORT: '9000',
      INGEST_OPS_PORT: '9001',
      INGEST_SECRETS: ` ${SECRET} , ${NEXT_SECRET} `,
      MAX_COMMIT_BYTES: '1048388',
      MAX_BATCH_BYTES: '2000000',
      MAX_LANE_BACKLOG: '5',
      INGEST_ENQUEUE_BATCHING: 'false',
      INGEST_MAX_CONNECTIONS: '250',
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT: '250ms',
      REDIS_REQUIRE_AOF: 'true',
      SIGNATURE_MAX_AGE: '60',
      SHUTDOWN_TIMEOUT: '2500ms',
    });
    expect(config).toEqual({
      redisUrl: 'rediss://:pw@redis.internal:6380/2',
      queuePrefix: 'cl:prod_1-a',
      lanes: 64,
      logLevel: 'debug',
      commitTtlMs: 5_400_000,
      dedupWindowMs: 172_800_000,
      failedRetentionMs: 2_592_000_000,
      requireAof: true,
      host: '0.0.0.0',
      port: 9000,
      opsPort: 9001,
      secrets: [SECRET, NEXT_SECRET],
      maxCommitBytes: 1_048_388,
      maxBatchBytes: 2_000_000,
      maxLaneBacklog: 5,
      maxBytesInFlight: 64 * 1024 * 1024,
      maxConnections: 250,
      enqueueBatching: false,
      waitReplicas: 1,
      waitReplicasTimeoutMs: 250,
      replayWindowS: 60,
      shutdownTimeoutMs: 2500,
      routesFile: undefined,
      routes: [],
    });
  });

  it('refuses an INGEST_OPS_PORT that is INGEST_PORT, and a SIGNATURE_MAX_AGE with a unit, saying seconds', () => {
    expect(
      messageOf(
        problemsOf(() =>
          loadIngestConfig({
            INGEST_SECRETS: SECRET,
            INGEST_PORT: '9000',
            INGEST_OPS_PORT: '9000',
          }),
        ),
        'INGEST_OPS_PORT',
      ),
    ).toMatch(/^must differ from INGEST_PORT.*\(got "9000"\)$/);
    expect(
      messageOf(
        problemsOf(() => loadIngestConfig({ INGEST_SECRETS: SECRET, SIGNATURE_MAX_AGE: '5m' })),
        'SIGNATURE_MAX_AGE',
      ),
    ).toBe('must be a whole number of seconds from 1 to 1800, without a unit (got "5m")');
  });

  it('refuses an INGEST_MAX_BYTES_IN_FLIGHT whose bodies the heap could not hold', () => {
    const heap = { heapLimitBytes: 512 * 1024 * 1024 };
    const env = (inFlight: number) => ({
      INGEST_SECRETS: SECRET,
      INGEST_MAX_BYTES_IN_FLIGHT: String(inFlight),
    });
    expect(loadIngestConfig(env(128 * 1024 * 1024), heap).maxBytesInFlight).toBe(134_217_728);
    expect(
      messageOf(
        problemsOf(() => loadIngestConfig(env(512 * 1024 * 1024), heap)),
        'INGEST_MAX_BYTES_IN_FLIGHT',
      ),
    ).toMatch(
      /^must be at most 134217728: bodies take about 4 times their size in heap .* heap limit is 512 MiB .*\(got "536870912"\)$/,
    );
    // The default fits the roles' heap (--max-old-space-size=512).
    expect(loadIngestConfig({ INGEST_SECRETS: SECRET }, heap).maxBytesInFlight).toBe(67_108_864);
  });

  it('refuses a MAX_BATCH_BYTES that no INGEST_MAX_BYTES_IN_FLIGHT the heap holds could take', () => {
    const problems = problemsOf(() =>
      loadIngestConfig(
        { INGEST_SECRETS: SECRET, MAX_BATCH_BYTES: '99999999999' },
        { heapLimitBytes: 512 * 1024 * 1024 },
      ),
    );
    expect(messageOf(problems, 'MAX_BATCH_BYTES')).toBe(
      'must be at most 134217728, the largest INGEST_MAX_BYTES_IN_FLIGHT this ingest\'s heap can hold, which a batch must fit in (got "99999999999")',
    );
  });

  it("refuses a REDIS_WAIT_TIMEOUT the ingest's 5 s command time-out would cut short", () => {
    expect(loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_WAIT_TIMEOUT: '4s' })).toMatchObject({
      waitReplicasTimeoutMs: 4000,
    });
    expect(() => loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_WAIT_TIMEOUT: '10s' })).toThrow(
      'REDIS_WAIT_TIMEOUT: must be at most 4s, since',
    );
  });

  it('refuses a REDIS_WAIT_TIMEOUT of 0, which Redis takes as waiting for ever', () => {
    expect(() => loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_WAIT_TIMEOUT: '0ms' })).toThrow(
      'REDIS_WAIT_TIMEOUT: must be a duration above zero',
    );
  });

  it('treats a blank variable as unset', () => {
    const config = loadIngestConfig({ INGEST_SECRETS: SECRET, INGEST_PORT: '', LANES: '  ' });
    expect(config.port).toBe(8080);
    expect(config.lanes).toBe(16);
  });

  it('names every bad variable at once, on one line', () => {
    const env = {
      INGEST_PORT: 'abc',
      LANES: '0',
      LOG_LEVEL: 'loud',
      COMMIT_TTL: '1.5h',
      REDIS_URL: 'http://redis:6379',
      QUEUE_PREFIX: 'no spaces',
    };
    let error: unknown;
    try {
      loadIngestConfig(env);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('INVALID_CONFIG');
    expect(configError.retriable).toBe(false);
    expect(configError.problems.map((p) => p.variable).sort()).toEqual(
      [
        'COMMIT_TTL',
        'INGEST_PORT',
        'INGEST_SECRETS',
        'LANES',
        'LOG_LEVEL',
        'QUEUE_PREFIX',
        'REDIS_URL',
      ].sort(),
    );
    // One line for the operator, with every problem named.
    expect(configError.message).not.toContain('\n');
    expect(configError.message).toMatch(/^invalid configuration: /);
    const items = configError.message.replace(/^invalid configuration: /, '').split('; ');
    expect(items).toContain('INGEST_PORT: must be an integer from 1 to 65535 (got "abc")');
    expect(items).toContain('LANES: must be an integer from 1 to 4096 (got "0")');
    expect(items).toHaveLength(configError.problems.length);
  });

  it('requires the secrets and never prints them', () => {
    expect(
      messageOf(
        problemsOf(() => loadIngestConfig({})),
        'INGEST_SECRETS',
      ),
    ).toMatch(/^is required: 1 or 2 comma-separated secrets/);
    const short = 'tooshort-but-secret';
    const problems = problemsOf(() => loadIngestConfig({ INGEST_SECRETS: `${SECRET},${short}` }));
    const message = messageOf(problems, 'INGEST_SECRETS') ?? '';
    expect(message).toContain(`secret 2 of 2 is ${short.length} characters long`);
    expect(message).not.toContain(short);
    expect(message).not.toContain(SECRET);
    const three = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: [SECRET, NEXT_SECRET, SECRET].join(',') }),
    );
    expect(messageOf(three, 'INGEST_SECRETS')).toMatch(/^holds 3 secrets; at most 2/);
  });

  it("refuses a commit size over what Kafka's default topic accepts, and says why", () => {
    const problems = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, MAX_COMMIT_BYTES: '1048389' }),
    );
    expect(messageOf(problems, 'MAX_COMMIT_BYTES')).toMatch(
      /from 1 to 1048388, .*max\.message\.bytes.*1048588.*\(got "1048389"\)$/,
    );
  });

  it('wants a batch body that holds at least one commit of the largest size, as JSON', () => {
    // As many bytes as MAX_COMMIT_BYTES is not enough: a commit travels as base64 inside JSON.
    const problems = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, MAX_BATCH_BYTES: '1000000' }),
    );
    expect(messageOf(problems, 'MAX_BATCH_BYTES')).toMatch(
      /^must be at least 1398870, the body of one commit of MAX_COMMIT_BYTES \(1000000\) as base64 in JSON/,
    );
    expect(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, MAX_BATCH_BYTES: '1398870' }),
    ).not.toThrow();
  });

  it('wants room for a full batch among the body bytes in flight', () => {
    const problems = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, INGEST_MAX_BYTES_IN_FLIGHT: '1000000' }),
    );
    expect(messageOf(problems, 'INGEST_MAX_BYTES_IN_FLIGHT')).toMatch(
      /at least MAX_BATCH_BYTES \(16777216\).*\(got "1000000"\)/,
    );
  });

  it('masks the password of a bad Redis URL and hides a value that is not a URL', () => {
    const wrongScheme = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_URL: 'http://:hunter2@redis:6379' }),
    );
    expect(messageOf(wrongScheme, 'REDIS_URL')).toBe(
      'must start with redis:// or rediss:// (for TLS), or redis-cluster:// or rediss-cluster:// for a Redis Cluster (got "http://:***@redis:6379")',
    );
    const notUrl = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_URL: 'redis:hunter2@redis:99999' }),
    );
    expect(messageOf(notUrl, 'REDIS_URL')).not.toContain('hunter2');
    const badDatabase = problemsOf(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, REDIS_URL: 'redis://:hunter2@redis:6379/abc' }),
    );
    expect(messageOf(badDatabase, 'REDIS_URL')).toMatch(
      /^the database \(the path after host:port\) must be a whole number .* \(got "redis:\/\/:\*\*\*@redis:6379\/abc"\)$/,
    );
  });

  it('never reads process.env itself', () => {
    vi.stubEnv('INGEST_PORT', '9999');
    vi.stubEnv('INGEST_SECRETS', NEXT_SECRET);
    expect(() => loadIngestConfig({})).toThrow(ConfigError);
    expect(loadIngestConfig({ INGEST_SECRETS: SECRET }).port).toBe(8080);
  });
});

describe('loadWorkerConfig', () => {
  it('fills every default; concurrency defaults to every lane', () => {
    expect(loadWorkerConfig({ LANES: '32' })).toEqual({
      ...COMMON_DEFAULTS,
      lanes: 32,
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'commitlog-worker', ssl: false },
      kafkaClient: 'platformatic',
      concurrency: 32,
      retryBaseMs: 200,
      retryMaxMs: 60_000,
      batchMaxRecords: 500,
      laneBatchMax: 100,
      lockDurationMs: 30_000,
      host: '127.0.0.1',
      port: 8082,
      shutdownTimeoutMs: 45_000,
      routesFile: undefined,
      routes: [],
    });
  });

  it('reads the Kafka settings, SASL included', () => {
    const config = loadWorkerConfig({
      KAFKA_BROKERS: 'kafka-0.kafka:9093, kafka-1.kafka:9093,[::1]:9094,',
      KAFKA_CLIENT_ID: 'commitlog-worker-7',
      KAFKA_CLIENT: 'kafkajs',
      KAFKA_SSL: 'TRUE',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'commitlog',
      KAFKA_SASL_PASSWORD: ' pass with spaces ',
      WORKER_CONCURRENCY: '4',
      RETRY_BASE: '1s',
      RETRY_MAX: '5m',
      PRODUCE_BATCH_MAX: '100',
      WORKER_LOCK: '45s',
      WORKER_HOST: '::',
      WORKER_PORT: '9100',
      SHUTDOWN_TIMEOUT: '20s',
    });
    expect(config).toMatchObject({
      kafka: {
        brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093', '[::1]:9094'],
        clientId: 'commitlog-worker-7',
        ssl: true,
        sasl: { mechanism: 'scram-sha-256', username: 'commitlog', password: ' pass with spaces ' },
      },
      kafkaClient: 'kafkajs',
      concurrency: 4,
      retryBaseMs: 1000,
      retryMaxMs: 300_000,
      batchMaxRecords: 100,
      laneBatchMax: 100,
      lockDurationMs: 45_000,
      host: '::',
      port: 9100,
      shutdownTimeoutMs: 20_000,
    });
  });

  it('names every bad broker, and a bad flag', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({ KAFKA_BROKERS: 'kafka:9092,kafka,kafka:0', KAFKA_SSL: 'yes' }),
    );
    expect(messageOf(problems, 'KAFKA_BROKERS')).toBe(
      'each broker must be host:port with a port from 1 to 65535; not "kafka", "kafka:0"',
    );
    expect(messageOf(problems, 'KAFKA_SSL')).toBe('must be true or false (got "yes")');
  });

  it("refuses DEBUG, whose library output would bypass the log's redaction, in every role", () => {
    for (const load of [loadWorkerConfig, loadCliConfig]) {
      expect(
        messageOf(
          problemsOf(() => load({ DEBUG: 'ioredis:*' })),
          'DEBUG',
        ),
      ).toMatch(/^must be unset or blank: it turns on the libraries' own debug output/);
      expect(() => load({ DEBUG: '' })).not.toThrow();
    }
  });

  it('refuses NODE_TLS_REJECT_UNAUTHORIZED=0, which turns certificate checks off, in every role', () => {
    for (const load of [loadWorkerConfig, loadCliConfig]) {
      expect(
        messageOf(
          problemsOf(() => load({ NODE_TLS_REJECT_UNAUTHORIZED: '0' })),
          'NODE_TLS_REJECT_UNAUTHORIZED',
        ),
      ).toMatch(/^must not be 0: it turns off certificate checks/);
      expect(() => load({ NODE_TLS_REJECT_UNAUTHORIZED: '1' })).not.toThrow();
    }
    // The settings it names instead are the worker's own: each is read (an unreadable file named).
    const message = messageOf(
      problemsOf(() => loadWorkerConfig({ NODE_TLS_REJECT_UNAUTHORIZED: '0' })),
      'NODE_TLS_REJECT_UNAUTHORIZED',
    );
    const named = message?.match(/\b[A-Z]+_[A-Z_]+_FILE\b/g) ?? [];
    expect(named).toHaveLength(2);
    for (const name of named) {
      expect(
        messageOf(
          problemsOf(() => loadWorkerConfig({ [name]: '/no/such/ca.pem' })),
          name,
        ),
      ).toBeDefined();
    }
    expect(() =>
      loadIngestConfig({ INGEST_SECRETS: SECRET, NODE_TLS_REJECT_UNAUTHORIZED: '0' }),
    ).toThrow(/NODE_TLS_REJECT_UNAUTHORIZED: must not be 0/);
    expect(() => loadDashboardConfig({ NODE_TLS_REJECT_UNAUTHORIZED: '0' })).toThrow(
      /NODE_TLS_REJECT_UNAUTHORIZED: must not be 0/,
    );
  });

  it('refuses a DEDUP_WINDOW shorter than the longest time a signed request stays valid', () => {
    expect(
      messageOf(
        problemsOf(() => loadWorkerConfig({ DEDUP_WINDOW: '59m' })),
        'DEDUP_WINDOW',
      ),
    ).toBe(
      'must be at least 1h, since a signed request stays valid for up to twice SIGNATURE_MAX_AGE (at most 30m) and its replay must be answered as a duplicate (got "59m")',
    );
    expect(loadWorkerConfig({ DEDUP_WINDOW: '1h' }).dedupWindowMs).toBe(3_600_000);
    // Twice the longest SIGNATURE_MAX_AGE an ingest takes (signed that far ahead) is the floor.
    expect(loadIngestConfig({ INGEST_SECRETS: SECRET, SIGNATURE_MAX_AGE: '1800' })).toMatchObject({
      replayWindowS: 1800,
    });
    expect(
      messageOf(
        problemsOf(() => loadIngestConfig({ INGEST_SECRETS: SECRET, SIGNATURE_MAX_AGE: '1801' })),
        'SIGNATURE_MAX_AGE',
      ),
    ).toMatch(/^must be .*1800/);
  });

  it('refuses a WORKER_LOCK too short for a delivery to finish under it', () => {
    expect(
      messageOf(
        problemsOf(() => loadWorkerConfig({ WORKER_LOCK: '1s' })),
        'WORKER_LOCK',
      ),
    ).toBe(
      'must be at least 3s, since a delivery may use four fifths of it and one produce request may take a second (got "1s")',
    );
    expect(loadWorkerConfig({ WORKER_LOCK: '3s' }).lockDurationMs).toBe(3000);
  });

  it('refuses a SHUTDOWN_TIMEOUT or WORKER_LOCK longer than a timer keeps (it would fire at once)', () => {
    const worker = problemsOf(() =>
      loadWorkerConfig({ SHUTDOWN_TIMEOUT: '30d', WORKER_LOCK: '25d' }),
    );
    expect(messageOf(worker, 'SHUTDOWN_TIMEOUT')).toBe(
      'must be at most 24d, the longest wait a timer here keeps (got "30d")',
    );
    expect(messageOf(worker, 'WORKER_LOCK')).toMatch(/^must be at most 24d/);
    expect(
      messageOf(
        problemsOf(() => loadIngestConfig({ INGEST_SECRETS: SECRET, SHUTDOWN_TIMEOUT: '25d' })),
        'SHUTDOWN_TIMEOUT',
      ),
    ).toMatch(/^must be at most 24d/);
    expect(loadWorkerConfig({ SHUTDOWN_TIMEOUT: '24d' }).shutdownTimeoutMs).toBe(24 * 86_400_000);
  });

  it('refuses SASL PLAIN without TLS unless told the network encrypts', () => {
    const plain = {
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'kafka-pass',
    };
    const problems = problemsOf(() => loadWorkerConfig(plain));
    expect(messageOf(problems, 'KAFKA_SASL_MECHANISM')).toMatch(
      /^plain sends the password unencrypted without KAFKA_SSL=true/,
    );
    expect(JSON.stringify(problems)).not.toContain('kafka-pass');
    expect(loadWorkerConfig({ ...plain, KAFKA_SSL: 'true' }).kafka.sasl?.mechanism).toBe('plain');
    expect(
      loadWorkerConfig({ ...plain, KAFKA_SASL_PLAIN_WITHOUT_TLS: 'true' }).kafka.sasl?.mechanism,
    ).toBe('plain');
    expect(
      loadWorkerConfig({ ...plain, KAFKA_SASL_MECHANISM: 'scram-sha-512' }).kafka.sasl?.mechanism,
    ).toBe('scram-sha-512');
  });

  it('wants all three SASL settings or none, and never prints the password', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({ KAFKA_SASL_USERNAME: 'commitlog', KAFKA_SASL_PASSWORD: 'kafka-pass' }),
    );
    expect(problems).toEqual([
      {
        variable: 'KAFKA_SASL_MECHANISM',
        message:
          'is required when KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set (set all three SASL variables or none)',
      },
    ]);
    const mechanism = problemsOf(() =>
      loadWorkerConfig({
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'kafka-pass',
      }),
    );
    expect(messageOf(mechanism, 'KAFKA_SASL_MECHANISM')).toBe(
      'must be one of plain, scram-sha-256, scram-sha-512 (got "gssapi")',
    );
    expect(JSON.stringify(mechanism)).not.toContain('kafka-pass');
  });

  it('reads the CA file of KAFKA_SSL_CA_FILE, each certificate checked', () => {
    const pem = readFileSync(new URL('./fixtures/test-ca.pem', import.meta.url), 'utf8');
    const read: string[] = [];
    const config = loadWorkerConfig(
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/commitlog/kafka-ca.pem' },
      { readFile: (path) => (read.push(path), `# our private CA\n${pem}`) },
    );
    expect(read).toEqual(['/etc/commitlog/kafka-ca.pem']);
    expect(config.kafka).toMatchObject({
      ssl: true,
      sslCa: pem.trim(),
      sslCaFile: '/etc/commitlog/kafka-ca.pem',
    });
    expect(loadWorkerConfig({ KAFKA_SSL: 'true' }).kafka.sslCa).toBeUndefined();
  });

  it('refuses a CA file that is unreadable, holds no certificate or a broken one, or goes without TLS', () => {
    const pem = readFileSync(new URL('./fixtures/test-ca.pem', import.meta.url), 'utf8');
    const withFile = (contents: string | Error, ssl = 'true') =>
      problemsOf(() =>
        loadWorkerConfig(
          { KAFKA_SSL: ssl, KAFKA_SSL_CA_FILE: 'ca.pem' },
          {
            readFile: () => {
              if (contents instanceof Error) throw contents;
              return contents;
            },
          },
        ),
      );
    expect(withFile(new Error("ENOENT: no such file or directory, open 'ca.pem'"))).toEqual([
      {
        variable: 'KAFKA_SSL_CA_FILE',
        message: `cannot read "ca.pem": ENOENT: no such file or directory, open 'ca.pem'`,
      },
    ]);
    expect(
      messageOf(
        withFile('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'),
        'KAFKA_SSL_CA_FILE',
      ),
    ).toBe('"ca.pem" holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    const broken =
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----';
    expect(messageOf(withFile(`${pem}\n${broken}`), 'KAFKA_SSL_CA_FILE')).toMatch(
      /^"ca\.pem": certificate 2 of 2 does not parse: /,
    );
    expect(messageOf(withFile(pem, 'false'), 'KAFKA_SSL_CA_FILE')).toBe(
      'is set but KAFKA_SSL is false: set KAFKA_SSL=true to reach the brokers over TLS, or unset KAFKA_SSL_CA_FILE',
    );
  });

  it('reads REDIS_TLS_CA_FILE for a TLS Redis in every role, and refuses it for a plain one', () => {
    const pem = readFileSync(new URL('./fixtures/test-ca.pem', import.meta.url), 'utf8');
    const deps = { readFile: () => pem };
    const env = {
      REDIS_URL: 'rediss://:pw@redis.internal:6380',
      REDIS_TLS_CA_FILE: '/etc/commitlog/redis-ca.pem',
      INGEST_SECRETS: SECRET,
    };
    const hash = `scrypt:16384:8:1:${'s'.repeat(22)}:${'h'.repeat(43)}`;
    for (const config of [
      loadIngestConfig(env, deps),
      loadWorkerConfig(env, deps),
      loadDashboardConfig({ ...env, DASHBOARD_USERS: `ops:admin:${hash}` }, deps),
      loadCliConfig(env, deps),
      loadCliConfig({ ...env, REDIS_URL: 'rediss-cluster://redis-a:6380,redis-b:6380' }, deps),
    ]) {
      expect(config).toMatchObject({
        redisTlsCa: pem.trim(),
        redisTlsCaFile: '/etc/commitlog/redis-ca.pem',
      });
    }
    expect(loadCliConfig({}).redisTlsCa).toBeUndefined();

    const plain = problemsOf(() =>
      loadCliConfig({ REDIS_URL: 'redis://redis:6379', REDIS_TLS_CA_FILE: 'ca.pem' }, deps),
    );
    expect(plain).toEqual([
      {
        variable: 'REDIS_TLS_CA_FILE',
        message:
          'is set but REDIS_URL does not use TLS: use rediss:// (or rediss-cluster://), or unset REDIS_TLS_CA_FILE',
      },
    ]);
    const unreadable = problemsOf(() =>
      loadWorkerConfig(
        { REDIS_URL: 'rediss://redis:6380', REDIS_TLS_CA_FILE: 'missing.pem' },
        {
          readFile: () => {
            throw new Error('ENOENT');
          },
        },
      ),
    );
    expect(messageOf(unreadable, 'REDIS_TLS_CA_FILE')).toBe('cannot read "missing.pem": ENOENT');
  });

  it('reads a client certificate and its key (mutual TLS) for Kafka and for Redis', () => {
    const fixture = (name: string) =>
      readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
    const files: Record<string, string> = {
      'client.pem': fixture('test-client.pem'),
      'client.key': fixture('test-client.key'),
    };
    const deps = { readFile: (path: string) => files[path] ?? '' };
    const worker = loadWorkerConfig(
      {
        KAFKA_SSL: 'true',
        KAFKA_SSL_CERT_FILE: 'client.pem',
        KAFKA_SSL_KEY_FILE: 'client.key',
        REDIS_URL: 'rediss://redis:6380',
        REDIS_TLS_CERT_FILE: 'client.pem',
        REDIS_TLS_KEY_FILE: 'client.key',
      },
      deps,
    );
    const client = { cert: files['client.pem'], key: files['client.key'] };
    expect(worker.kafka.sslClient).toEqual(client);
    expect(worker.redisTlsClient).toEqual(client);
  });

  it('refuses half a client certificate, a key of another certificate and an encrypted key, never printing a key', () => {
    const fixture = (name: string) =>
      readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const files: Record<string, string> = {
      'client.pem': fixture('test-client.pem'),
      'other.key': other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      'encrypted.key': other.privateKey.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'passphrase',
      }) as string,
      'garbage.key': 'not a key',
    };
    const load = (env: Record<string, string>) =>
      problemsOf(() =>
        loadWorkerConfig({ KAFKA_SSL: 'true', ...env }, { readFile: (path) => files[path] ?? '' }),
      );
    expect(load({ KAFKA_SSL_CERT_FILE: 'client.pem' })).toEqual([
      {
        variable: 'KAFKA_SSL_KEY_FILE',
        message:
          'is required when KAFKA_SSL_CERT_FILE is set (a client certificate needs both files)',
      },
    ]);
    const wrongKey = load({ KAFKA_SSL_CERT_FILE: 'client.pem', KAFKA_SSL_KEY_FILE: 'other.key' });
    expect(messageOf(wrongKey, 'KAFKA_SSL_KEY_FILE')).toBe(
      '"other.key" is not the private key of the certificate in "client.pem"',
    );
    const encrypted = load({
      KAFKA_SSL_CERT_FILE: 'client.pem',
      KAFKA_SSL_KEY_FILE: 'encrypted.key',
    });
    expect(messageOf(encrypted, 'KAFKA_SSL_KEY_FILE')).toMatch(
      /^"encrypted\.key" is an encrypted private key; give the key unencrypted/,
    );
    const garbage = load({ KAFKA_SSL_CERT_FILE: 'client.pem', KAFKA_SSL_KEY_FILE: 'garbage.key' });
    expect(messageOf(garbage, 'KAFKA_SSL_KEY_FILE')).toMatch(
      /^"garbage\.key" holds no usable PEM private key: /,
    );
    const notCert = load({ KAFKA_SSL_CERT_FILE: 'other.key', KAFKA_SSL_KEY_FILE: 'other.key' });
    expect(messageOf(notCert, 'KAFKA_SSL_CERT_FILE')).toMatch(
      /^"other\.key" holds no usable PEM certificate: /,
    );
    const text = JSON.stringify([wrongKey, encrypted, garbage, notCert]);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('MII');
    const withoutTls = problemsOf(() =>
      loadWorkerConfig(
        { REDIS_URL: 'redis://redis:6379', REDIS_TLS_CERT_FILE: 'c', REDIS_TLS_KEY_FILE: 'k' },
        { readFile: () => '' },
      ),
    );
    expect(withoutTls.map((p) => p.variable)).toEqual([
      'REDIS_TLS_CERT_FILE',
      'REDIS_TLS_KEY_FILE',
    ]);
  });

  it('checks values against each other, even when another variable is bad', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({
        LANES: '8',
        WORKER_CONCURRENCY: '9',
        RETRY_BASE: '2m',
        RETRY_MAX: '1m',
        WORKER_PORT: '70000',
      }),
    );
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'RETRY_MAX',
      'WORKER_CONCURRENCY',
      'WORKER_PORT',
    ]);
    expect(messageOf(problems, 'WORKER_CONCURRENCY')).toMatch(/^must be at most LANES \(8\)/);
    expect(messageOf(problems, 'RETRY_MAX')).toBe(
      'must be at least RETRY_BASE (120000 ms) (got 60000 ms)',
    );
    // Left unset: the message says the value is its default.
    expect(
      messageOf(
        problemsOf(() => loadWorkerConfig({ RETRY_BASE: '2m' })),
        'RETRY_MAX',
      ),
    ).toBe(
      'must be at least RETRY_BASE (120000 ms) (got 60000 ms, its default: set RETRY_MAX too)',
    );
  });

  it('reads the routes file as JSON, left for the worker to validate', () => {
    const read: string[] = [];
    const config = loadWorkerConfig(
      { ROUTES_FILE: '/etc/commitlog/routes.json' },
      {
        readFile: (path) => {
          read.push(path);
          return '{"routes":[{"bucket":"transactions","topic":"payments"}]}';
        },
      },
    );
    expect(read).toEqual(['/etc/commitlog/routes.json']);
    expect(config.routesFile).toBe('/etc/commitlog/routes.json');
    expect(config.routes).toEqual([{ bucket: 'transactions', topic: 'payments' }]);
  });

  it('reports an unreadable or invalid routes file on ROUTES_FILE, with the other problems', () => {
    const missing = problemsOf(() =>
      loadWorkerConfig(
        { ROUTES_FILE: 'routes.json', LANES: 'many' },
        {
          readFile: () => {
            throw new Error("ENOENT: no such file or directory, open 'routes.json'");
          },
        },
      ),
    );
    expect(missing.map((p) => p.variable).sort()).toEqual(['LANES', 'ROUTES_FILE']);
    expect(messageOf(missing, 'ROUTES_FILE')).toBe(
      `cannot read "routes.json": ENOENT: no such file or directory, open 'routes.json'`,
    );
    const invalid = problemsOf(() =>
      loadWorkerConfig({ ROUTES_FILE: 'routes.json' }, { readFile: () => '{"routes": [' }),
    );
    expect(messageOf(invalid, 'ROUTES_FILE')).toBe(
      '"routes.json" is not valid JSON (it ends too early)',
    );
    // Pointed at the wrong file: where it failed, never what it holds.
    const secretFile = problemsOf(() =>
      loadWorkerConfig({ ROUTES_FILE: 'routes.json' }, { readFile: () => 'hmac-s3cr3t-value' }),
    );
    expect(messageOf(secretFile, 'ROUTES_FILE')).toBe('"routes.json" is not valid JSON');
    const placed = problemsOf(() =>
      loadWorkerConfig({ ROUTES_FILE: 'routes.json' }, { readFile: () => '{\n"routes": [],\n x}' }),
    );
    expect(messageOf(placed, 'ROUTES_FILE')).toBe(
      '"routes.json" is not valid JSON (line 3, column 2)',
    );
    // The last of two "routes" would win, the first's rules dropped without a word.
    const twice = problemsOf(() =>
      loadWorkerConfig(
        { ROUTES_FILE: 'routes.json' },
        { readFile: () => '{"routes":[{"bucket":"b","topic":"t"}],"routes":[]}' },
      ),
    );
    expect(messageOf(twice, 'ROUTES_FILE')).toMatch(
      /^"routes\.json" names a member twice in one object, at routes: JSON keeps only the last/,
    );
  });

  it('reads a routes file saved with a byte order mark', () => {
    const config = loadWorkerConfig(
      { ROUTES_FILE: 'routes.json' },
      { readFile: () => '\uFEFF{"routes":[{"bucket":"b","topic":"t"}]}' },
    );
    expect(config.routes).toEqual([{ bucket: 'b', topic: 't' }]);
  });

  it('reads the routes file from disk by default', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({ ROUTES_FILE: '/nonexistent/commitlog/routes.json' }),
    );
    expect(messageOf(problems, 'ROUTES_FILE')).toMatch(/^cannot read .*ENOENT/);
  });
});

describe('settings that guard commits and signatures', () => {
  it('keeps failed deliveries at least a day, and takes signing secrets in UTF-8 only', () => {
    const problems = problemsOf(() =>
      loadIngestConfig({
        INGEST_SECRETS: `${'a'.repeat(32)},${'b'.repeat(32)}\uFFFD`,
        FAILED_RETENTION: '14m',
      }),
    );
    expect(messageOf(problems, 'FAILED_RETENTION')).toMatch(
      /^must be at least 1d, since a failed delivery holds a commit Kafka never got/,
    );
    expect(messageOf(problems, 'INGEST_SECRETS')).toMatch(
      /^secret 2 of 2 holds bytes that are not UTF-8 /,
    );
    expect(JSON.stringify(problems)).not.toContain('b'.repeat(32));
  });
});

describe('loadDashboardConfig', () => {
  // A well-formed hash (of no particular password): config only checks the form.
  const HASH = `scrypt:16384:8:1:${'s'.repeat(22)}:${'h'.repeat(43)}`;
  const USERS = `ops:admin:${HASH}, eve:viewer:${HASH}`;

  it('holds a session from a minute to 30 days, and its secret to UTF-8', () => {
    const problems = problemsOf(() =>
      loadDashboardConfig({
        DASHBOARD_USERS: USERS,
        DASHBOARD_SESSION_TTL: '500ms',
        DASHBOARD_SESSION_SECRET: `${'x'.repeat(40)}\uFFFD`,
      }),
    );
    expect(messageOf(problems, 'DASHBOARD_SESSION_TTL')).toMatch(/^must be at least 1m, since /);
    expect(messageOf(problems, 'DASHBOARD_SESSION_SECRET')).toMatch(
      /^holds bytes that are not UTF-8 .*\(the value is not shown\)$/,
    );
    expect(
      messageOf(
        problemsOf(() =>
          loadDashboardConfig({ DASHBOARD_USERS: USERS, DASHBOARD_SESSION_TTL: '99999999d' }),
        ),
        'DASHBOARD_SESSION_TTL',
      ),
    ).toMatch(/^must be at most 30d, since /);
  });

  it('fills the defaults and reads the users', () => {
    expect(loadDashboardConfig({ DASHBOARD_USERS: USERS })).toEqual({
      ...COMMON_DEFAULTS,
      host: '127.0.0.1',
      port: 8081,
      opsPort: 8083,
      users: [
        { name: 'ops', role: 'admin', passwordHash: HASH },
        { name: 'eve', role: 'viewer', passwordHash: HASH },
      ],
      sessionSecret: undefined,
      sessionTtlMs: 8 * 3_600_000,
      secureCookie: false,
      showValues: false,
      maxConnections: 256,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads DASHBOARD_MAX_CONNECTIONS, a whole number of at least 1', () => {
    expect(
      loadDashboardConfig({ DASHBOARD_USERS: USERS, DASHBOARD_MAX_CONNECTIONS: '40' })
        .maxConnections,
    ).toBe(40);
    for (const bad of ['0', '-1', '2.5', 'many']) {
      expect(
        messageOf(
          problemsOf(() =>
            loadDashboardConfig({ DASHBOARD_USERS: USERS, DASHBOARD_MAX_CONNECTIONS: bad }),
          ),
          'DASHBOARD_MAX_CONNECTIONS',
        ),
      ).toMatch(/^must be an integer/);
    }
  });

  it('refuses an ops port that is its main port', () => {
    const env = { DASHBOARD_USERS: USERS, DASHBOARD_PORT: '9000', DASHBOARD_OPS_PORT: '9000' };
    expect(
      messageOf(
        problemsOf(() => loadDashboardConfig(env)),
        'DASHBOARD_OPS_PORT',
      ),
    ).toBe(
      'must differ from DASHBOARD_PORT: /readyz and /metrics have a server of their own (got "9000")',
    );
  });

  it('requires users, since nothing is open without a sign-in', () => {
    expect(
      messageOf(
        problemsOf(() => loadDashboardConfig({})),
        'DASHBOARD_USERS',
      ),
    ).toMatch(/^is required: .*commitlog dashboard hash-password/);
  });

  it('names each bad user by position and never repeats a hash', () => {
    const problems = problemsOf(() =>
      loadDashboardConfig({
        DASHBOARD_USERS: `ops:root:${HASH},bad name:viewer:${HASH},eve:viewer:plaintext-pw,ops:admin:${HASH}`,
      }),
    );
    const message = messageOf(problems, 'DASHBOARD_USERS');
    expect(message).toContain('user 1: the role must be viewer or admin');
    expect(message).toContain('user 2: the name must be');
    expect(message).toContain('user 3 (eve): the password must be a hash');
    expect(message).not.toContain('plaintext-pw');
    expect(message).not.toContain('hhhh');
  });

  it('refuses a duplicate user and a short session secret without showing it', () => {
    const problems = problemsOf(() =>
      loadDashboardConfig({
        DASHBOARD_USERS: `ops:admin:${HASH},ops:viewer:${HASH}`,
        DASHBOARD_SESSION_SECRET: 'short-secret',
      }),
    );
    expect(messageOf(problems, 'DASHBOARD_USERS')).toBe('ops appear more than once');
    expect(messageOf(problems, 'DASHBOARD_SESSION_SECRET')).toBe(
      'is 12 characters long; it must be at least 32 (the value is not shown)',
    );
  });

  it('does not check variables of other roles', () => {
    const env = { DASHBOARD_USERS: USERS, INGEST_PORT: 'abc', KAFKA_BROKERS: 'x' };
    expect(() => loadDashboardConfig(env)).not.toThrow();
    expect(
      problemsOf(() => loadDashboardConfig({ DASHBOARD_USERS: USERS, DASHBOARD_PORT: '0' })),
    ).toEqual([
      { variable: 'DASHBOARD_PORT', message: 'must be an integer from 1 to 65535 (got "0")' },
    ]);
  });
});

describe('loadCliConfig', () => {
  it('reads only the shared settings', () => {
    expect(loadCliConfig({ LOG_LEVEL: 'warn' })).toEqual({ ...COMMON_DEFAULTS, logLevel: 'warn' });
    expect(problemsOf(() => loadCliConfig({ FAILED_RETENTION: '0' }))[0]?.variable).toBe(
      'FAILED_RETENTION',
    );
  });
});

describe('ROUTES_FILE', () => {
  it('checks the rules with the routes schema and names the bad field', () => {
    const env = {
      ROUTES_FILE: '/etc/commitlog/routes.json',
      INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
    };
    const bad = () =>
      loadIngestConfig(env, { readFile: () => '{"routes":[{"bucket":"b","topic":"no spaces"}]}' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/ROUTES_FILE: .*routes\[0\]\.topic/);
    const good = loadIngestConfig(env, {
      readFile: () => '{"routes":[{"bucket":"b","topic":"t"}]}',
    });
    expect(good.routes).toEqual([{ bucket: 'b', topic: 't' }]);
  });
});
