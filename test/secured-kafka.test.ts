// Kafka over TLS with a SASL login, as a managed Kafka at a payments company asks for: a private
// broker with a SASL_SSL listener whose certificate a CA of the test's own signed. Both producers
// (the contract, one login per mechanism, a wrong password, an untrusted certificate), then the
// worker process configured only through KAFKA_SSL, KAFKA_SSL_CA_FILE and the SASL variables,
// including a worker started with a wrong password: the commit waits and is delivered once a
// worker with the right one runs. A third listener asks for a client certificate instead (mutual
// TLS, KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE). The broker checks ACLs: a topic forbidden to
// the login fails its commits for good (forbidden-topic), and only its own; one revoked after the
// producer wrote to it holds its commits, retried, until it is granted again. The broker is shared
// by the file (one start).
import { defaultTopic, failureReason, type KafkaRecord } from '@commitlog/core';
import {
  createRecordProducer,
  KafkaProduceError,
  type KafkaClientName,
  type KafkaConnection,
  type RecordProducer,
} from '@commitlog/kafka';
import {
  putCommit,
  startSecuredKafka,
  startSystem,
  uniqueName,
  waitFor,
  type RunningSystem,
  type SaslLogin,
  type SaslMechanism,
  type SecuredKafka,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retriesBy, unfinishedJobs } from './support/delivery-oracle.ts';
import { readUntil, text, withAdmin } from './support/kafka-check.ts';

const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];
const MECHANISMS: SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

let kafka: SecuredKafka;

beforeAll(async () => {
  kafka = await startSecuredKafka();
  // The broker learns the SCRAM users from its metadata log a moment after they were added.
  for (const mechanism of MECHANISMS) {
    // One topic for every try: the first send to a new topic may fail while the broker creates it.
    const topic = `logins-${uniqueName('w')}`;
    await waitFor(
      async () => {
        const producer = await createRecordProducer('kafkajs', secured(kafka.logins[mechanism]));
        try {
          await producer.send([record(topic, 'warm-up')]);
          return true;
        } catch {
          return false;
        } finally {
          await producer.close();
        }
      },
      { timeoutMs: 30_000, intervalMs: 500, description: `a ${mechanism} login accepted` },
    );
  }
}, 120_000);

afterAll(async () => {
  await kafka?.cleanup();
});

function secured(sasl: SaslLogin, overrides: Partial<KafkaConnection> = {}): KafkaConnection {
  return {
    brokers: kafka.securedBrokers,
    clientId: 'commitlog-tls-test',
    ssl: true,
    sslCa: kafka.caPem,
    sasl,
    ...overrides,
  };
}

/** A worker's environment for the SASL_SSL listener, configured as an operator would. */
function securedWorkerEnv(client: KafkaClientName, login: SaslLogin): Record<string, string> {
  return {
    KAFKA_CLIENT: client,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: kafka.caFile,
    KAFKA_SASL_MECHANISM: login.mechanism,
    KAFKA_SASL_USERNAME: login.username,
    KAFKA_SASL_PASSWORD: login.password,
  };
}

function record(topic: string, key: string): KafkaRecord {
  return { topic, key: Buffer.from(key), value: Buffer.from(`value of ${key}`), headers: {} };
}

async function failureOf(producer: RecordProducer, topic: string): Promise<KafkaProduceError> {
  try {
    await producer.send([record(topic, 'refused')]);
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaProduceError);
    return error as KafkaProduceError;
  } finally {
    await producer.close();
  }
  throw new Error('the send was expected to fail');
}

/**
 * Forbids the topic to the PLAIN login, and waits until the broker applies the ACL: a fresh
 * client's send to it fails.
 */
async function forbid(topic: string): Promise<void> {
  const login = kafka.logins.plain;
  await kafka.forbidTopic(topic, login.username);
  await waitFor(
    async () => {
      const probe = await createRecordProducer('platformatic', secured(login));
      return probe
        .send([record(topic, 'probe')])
        .then(
          () => false,
          () => true,
        )
        .finally(() => probe.close());
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `the ACL on ${topic} in force` },
  );
}

describe.each(CLIENTS)('the %s producer on a SASL_SSL listener', (client) => {
  it('delivers after a login with each mechanism, with the broker verified against the CA', async () => {
    const topic = uniqueName('tls');
    await withAdmin(kafka.plaintextBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
    for (const mechanism of MECHANISMS) {
      const producer = await createRecordProducer(client, secured(kafka.logins[mechanism]));
      try {
        await producer.send([record(topic, mechanism)]);
      } finally {
        await producer.close();
      }
    }
    // Read back over the PLAINTEXT listener: what arrived, not what the clients believed.
    const got = await readUntil(kafka.plaintextBrokers, [topic], (r) => r.length >= 3);
    expect(got.map((r) => [text(r.key), text(r.value)])).toEqual(
      MECHANISMS.map((m) => [m, `value of ${m}`]),
    );
  });

  it('fails a wrong password as retriable, naming the authentication', async () => {
    // A copy of a login used before (by the warm-up): kafkajs once stored its authenticator, bound
    // to the first password, on the login object, and the copy logged in with the right password.
    const login = { ...kafka.logins['scram-sha-256'], password: 'not-the-password' };
    const error = await failureOf(
      await createRecordProducer(client, secured(login)),
      uniqueName('tls-refused'),
    );
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/authentication failed/i);
    expect(error.message).not.toContain('not-the-password');
  });

  it('refuses a broker whose certificate no trusted CA signed', async () => {
    // Without sslCa the client trusts Node's built-in CAs only, which did not sign this broker.
    const withoutCa = { ...secured(kafka.logins.plain), sslCa: undefined };
    const error = await failureOf(
      await createRecordProducer(client, withoutCa),
      uniqueName('tls-untrusted'),
    );
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/certificate/i);
  });
});

describe.each(CLIENTS)('the %s producer and topics its login may not write', (client) => {
  async function createTopics(...names: string[]): Promise<void> {
    await withAdmin(kafka.plaintextBrokers, async (admin) => {
      for (const name of names) await admin.createTopic(name, { partitions: 1 });
    });
  }

  it('fails a record for a forbidden topic for good, as forbidden-topic', async () => {
    const [topic, allowed] = [uniqueName('forbidden'), uniqueName('allowed')];
    await createTopics(topic, allowed);
    await forbid(topic);
    const producer = await createRecordProducer(client, secured(kafka.logins.plain));
    // It writes: the refusal is that topic's, not the login's.
    await producer.send([record(allowed, 'written')]);
    const error = await failureOf(producer, topic);
    expect(error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(error.retriable).toBe(false);
    expect(failureReason(error)).toBe('forbidden-topic');
  });

  it('holds a forbidden topic as retriable while the producer has written nothing', async () => {
    // What a login whose write rights are missing meets for every topic: its commits wait,
    // rather than all failing for good.
    const topic = uniqueName('forbidden');
    await createTopics(topic);
    await forbid(topic);
    const error = await failureOf(
      await createRecordProducer(client, secured(kafka.logins.plain)),
      topic,
    );
    expect(error.code).toBe('KAFKA_WRITE_REFUSED');
    expect(error.retriable).toBe(true);
    expect((error.cause as KafkaProduceError).code).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('refuses only the records of a topic it wrote to once that topic is forbidden, as retriable', async () => {
    const [revoked, kept, later, last] = ['revoked', 'kept', 'later', 'last'].map(uniqueName);
    await createTopics(revoked!, kept!, later!, last!);
    const producer = await createRecordProducer(client, secured(kafka.logins.plain));
    try {
      await producer.send([record(revoked!, 'before')]);
      await producer.send([record(kept!, 'k1')]);
      await forbid(revoked!);
      // A topic it has not sent to before makes kafkajs refresh the metadata of every topic it has.
      await producer.send([record(later!, 'l1')]);
      const refused = await producer.send([record(revoked!, 'after')]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(KafkaProduceError);
      // It took this producer's writes: rights taken away, which may well be given back.
      expect(refused).toMatchObject({ code: 'KAFKA_WRITE_REFUSED', retriable: true });
      expect(((refused as Error).cause as KafkaProduceError).code).toBe(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      await producer.send([record(kept!, 'k2'), record(later!, 'l2')]);
      await producer.send([record(last!, 'z1')]);
    } finally {
      await producer.close();
    }
    const got = await readUntil(
      kafka.plaintextBrokers,
      [kept!, later!, last!],
      (r) => r.length >= 5,
    );
    expect(got.map((r) => `${r.topic}/${text(r.key)}`).sort()).toEqual(
      [`${kept}/k1`, `${kept}/k2`, `${later}/l1`, `${later}/l2`, `${last}/z1`].sort(),
    );
  });

  it('waits for a topic its login may not create (retriable), and delivers once it exists', async () => {
    // The broker creates topics on first use, but this login may not: it answers
    // TOPIC_AUTHORIZATION_FAILED, as for a forbidden topic, which failed the commits for good.
    const prefix = `nocreate-${client}-`;
    await kafka.denyCreate(kafka.noCreateLogin.username, prefix);
    const topic = uniqueName(prefix);
    const producer = await createRecordProducer(client, secured(kafka.noCreateLogin));
    try {
      // The ACLs reach the broker a moment after the tool returns; until then a send creates
      // its topic, so each try names a topic of its own.
      const refusal = await waitFor(
        async () => {
          const error = await producer.send([record(uniqueName(prefix), 'probe')]).then(
            () => undefined,
            (e: unknown) => e,
          );
          return error instanceof KafkaProduceError ? error : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'the ACLs in force' },
      );
      expect(refusal.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect(refusal.retriable).toBe(true);
      expect(refusal.message).toMatch(/does not exist, and this login may not create it/);
      const waiting = await producer.send([record(topic, 'waiting')]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failureReason(waiting)).toBe('unknown-topic-or-partition');
      await createTopics(topic);
      await producer.send([record(topic, 'waiting')]);
    } finally {
      await producer.close();
    }
    const got = await readUntil(kafka.plaintextBrokers, [topic], (r) => r.length >= 1);
    expect(got.map((r) => text(r.key))).toEqual(['waiting']);
  });
});

describe.each(CLIENTS)(
  'the %s producer on a listener that asks for a client certificate',
  (client) => {
    const mutualTls = (overrides: Partial<KafkaConnection> = {}): KafkaConnection => ({
      brokers: kafka.mutualTlsBrokers,
      clientId: 'commitlog-mtls-test',
      ssl: true,
      sslCa: kafka.caPem,
      sslClient: { cert: kafka.client.cert, key: kafka.client.key },
      ...overrides,
    });

    it('delivers with the certificate, and is refused without one', async () => {
      const topic = uniqueName('mtls');
      await withAdmin(kafka.plaintextBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
      const producer = await createRecordProducer(client, mutualTls());
      try {
        await producer.send([record(topic, 'k1')]);
      } finally {
        await producer.close();
      }
      const got = await readUntil(kafka.plaintextBrokers, [topic], (r) => r.length >= 1);
      expect(got.map((r) => [text(r.key), text(r.value)])).toEqual([['k1', 'value of k1']]);

      const error = await failureOf(
        await createRecordProducer(client, mutualTls({ sslClient: undefined })),
        topic,
      );
      // Refused at the connection, by the broker that took the same producer with its
      // certificate a moment ago: kafkajs sees the TLS alert, @platformatic/kafka only the close
      // (or, by timing, either sees the reset) — never a refused connect or a time-out.
      expect(error).toMatchObject({ retriable: true, fromBroker: false });
      expect(error.message).toMatch(/bad certificate|Connection closed|ECONNRESET/);
    });
  },
);

describe('a worker configured for mutual TLS', () => {
  let system: RunningSystem | undefined;

  afterAll(async () => {
    await system?.stop();
  });

  it('delivers with KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE', async () => {
    system = await startSystem({
      kafkaBrokers: kafka.mutualTlsBrokers,
      env: { LANES: '2' },
      workerEnv: {
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: kafka.caFile,
        KAFKA_SSL_CERT_FILE: kafka.client.certFile,
        KAFKA_SSL_KEY_FILE: kafka.client.keyFile,
      },
    });
    const bucket = uniqueName('mtls');
    const topic = defaultTopic('default', bucket);
    await withAdmin(kafka.plaintextBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
    const response = await system.post(putCommit({ bucket, key: 'payment-9', value: 'booked' }));
    expect(response.status).toBe(202);
    const got = await readUntil(kafka.plaintextBrokers, [topic], (r) => r.length >= 1);
    expect(got.map((r) => [text(r.key), text(r.value)])).toEqual([['payment-9', 'booked']]);
    const worker = system.workers[0]!;
    expect(worker.output()).not.toContain('PRIVATE KEY');
  });
});

describe.each(CLIENTS)('a worker on %s configured for TLS and SASL', (client) => {
  let system: RunningSystem | undefined;

  afterAll(async () => {
    await system?.stop();
  });

  const workerEnv = (login: SaslLogin) => securedWorkerEnv(client, login);

  it('keeps a commit while its login is refused, and delivers it with the right one', async () => {
    const login = kafka.logins['scram-sha-512'];
    system = await startSystem({
      kafkaBrokers: kafka.securedBrokers,
      env: { LANES: '2' },
      workerEnv: workerEnv({ ...login, password: 'wrong-password' }),
    });
    const bucket = uniqueName('tls');
    const topic = defaultTopic('default', bucket);
    await withAdmin(kafka.plaintextBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
    const response = await system.post(putCommit({ bucket, key: 'payment-1', value: 'paid' }));
    expect(response.status).toBe(202);

    const refused = system.workers[0]!;
    await waitFor(async () => (await readiness(refused.port)).kafka?.ok === false, {
      timeoutMs: 30_000,
      description: 'the worker reporting Kafka as not connected',
    });
    // Never reached Kafka since it started: not ready (a rolling update stops here).
    expect((await fetch(`http://127.0.0.1:${refused.port}/readyz`)).status).toBe(503);
    await waitFor(() => /authentication failed/i.test(refused.output()), {
      timeoutMs: 30_000,
      description: `the refused login in the worker's log:\n${refused.output()}`,
    });
    expect(refused.output()).not.toContain('wrong-password');
    const waiting = await unfinishedJobs(system, 2);
    expect(waiting.failed).toBe(0);
    expect(waiting.waiting + waiting.active).toBe(1);

    await refused.stop();
    const fixed = await system.startWorker(workerEnv(login));
    const got = await readUntil(kafka.plaintextBrokers, [topic], (r) => r.length >= 1);
    expect(got.map((r) => [text(r.key), text(r.value)])).toEqual([['payment-1', 'paid']]);
    await waitFor(async () => (await readiness(fixed.port)).kafka?.ok === true, {
      timeoutMs: 30_000,
      description: 'the worker reporting Kafka as connected',
    });
    expect((await fetch(`http://127.0.0.1:${fixed.port}/readyz`)).status).toBe(200);
  });
});

describe.each(CLIENTS)('a worker on %s whose login loses a topic', (client) => {
  let system: RunningSystem | undefined;

  afterAll(async () => {
    await system?.stop();
  });

  it("holds that topic's commits, retried, delivers to the others, and delivers them once it is granted again", async () => {
    const login = kafka.logins.plain;
    system = await startSystem({
      kafkaBrokers: kafka.securedBrokers,
      env: { LANES: '2', RETRY_MAX: '1s' },
      workerEnv: securedWorkerEnv(client, login),
    });
    const [revoked, later] = [uniqueName('revoked'), uniqueName('later')];
    const [revokedTopic, laterTopic] = [
      defaultTopic('default', revoked),
      defaultTopic('default', later),
    ];
    await withAdmin(kafka.plaintextBrokers, async (admin) => {
      await admin.createTopic(revokedTopic, { partitions: 1 });
      await admin.createTopic(laterTopic, { partitions: 1 });
    });
    const post = async (bucket: string, key: string) => {
      const response = await system!.post(putCommit({ bucket, key, value: `${key} paid` }));
      expect(response.status).toBe(202);
      return response.body as { id: string; lane: number };
    };

    await post(revoked, 'payment-1');
    await readUntil(kafka.plaintextBrokers, [revokedTopic], (r) => r.length >= 1);
    await forbid(revokedTopic);
    // First a topic the worker has not written to: kafkajs then asked about every topic it had,
    // and failed this commit, for good, with the revoked topic's error.
    await post(later, 'payment-2');
    const got = await readUntil(kafka.plaintextBrokers, [laterTopic], (r) => r.length >= 1);
    expect(got.map((r) => text(r.key))).toEqual(['payment-2']);

    // Rights taken from a topic that took the worker's writes (an ACL replaced, a role
    // reconciled): held and retried, not failed for good, to go out later than newer versions.
    const worker = system.workers[0]!;
    const retriedBefore = await retriesBy(worker);
    await post(revoked, 'payment-3');
    await waitFor(async () => (await retriesBy(worker)) >= retriedBefore + 2, {
      timeoutMs: 30_000,
      description: 'the revoked topic retried',
    });
    expect((await unfinishedJobs(system, 2)).failed).toBe(0);

    await kafka.allowTopicAgain(revokedTopic, login.username);
    const delivered = await readUntil(kafka.plaintextBrokers, [revokedTopic], (r) => r.length >= 2);
    expect(delivered.map((r) => text(r.key))).toEqual(['payment-1', 'payment-3']);
    expect((await unfinishedJobs(system, 2)).failed).toBe(0);
  });
});

async function readiness(port: number): Promise<Record<string, { ok: boolean } | undefined>> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
  return body.checks;
}
