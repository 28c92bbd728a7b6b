import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startPrivateKafka, type PrivateKafka } from './private-kafka.ts';
import { makeTestCertificates, type TestCertificates } from './test-certificates.ts';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** A login the secured listener accepts. */
export interface SaslLogin {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/**
 * A private Kafka broker with three client listeners: PLAINTEXT (what the test itself uses to
 * set up and read back, and what kafka.sh's readiness probe talks to); SASL_SSL, which asks for
 * TLS with a certificate signed by a CA of the test's own and a SASL login (PLAIN, SCRAM-SHA-256
 * or SCRAM-SHA-512); and SSL with `ssl.client.auth=required`, which asks each client for a
 * certificate of that CA (mutual TLS) instead: what managed Kafkas at a payments company ask.
 * An authorizer checks ACLs, which none set until a test forbids a topic (`forbidTopic`).
 */
export interface SecuredKafka {
  /** The PLAINTEXT listener. */
  plaintextBrokers: string[];
  /** The SASL_SSL listener. */
  securedBrokers: string[];
  /** The SSL listener that asks every client for a certificate its CA signed (mutual TLS). */
  mutualTlsBrokers: string[];
  /** Path of the PEM file of the CA that signed the broker's certificate. */
  caFile: string;
  /** That CA's certificate (PEM). */
  caPem: string;
  /** A client certificate that CA signed, for the mutual-TLS listener. */
  client: TestCertificates['client'];
  /** One accepted login per mechanism. */
  logins: Record<SaslMechanism, SaslLogin>;
  /**
   * A PLAIN login of its own for `denyCreate`, so that the ACLs it gets touch no other test's
   * login.
   */
  noCreateLogin: SaslLogin;
  /**
   * Denies `username` every operation on `topic` (an ACL, through Kafka's own tool). Every other
   * login loses the topic too: a topic with an ACL is open only to whom its ACLs allow.
   */
  forbidTopic(topic: string, username: string): Promise<void>;
  /** Removes what `forbidTopic` added: the topic, with no ACL left, is open to every login again. */
  allowTopicAgain(topic: string, username: string): Promise<void>;
  /**
   * Lets `username` describe and write the topics whose names start with `prefix`, and create
   * none (ACLs on those topics and on the cluster): the login of a worker whose operator creates
   * its topics. Other logins lose those topics (they have ACLs now), not the others.
   */
  denyCreate(username: string, prefix: string): Promise<void>;
  kafka: PrivateKafka;
  cleanup(): Promise<void>;
}

/** A JAAS login module line for a listener's `sasl.jaas.config`. */
function jaas(module: string, options: Record<string, string> = {}): string {
  const pairs = Object.entries(options).map(([k, v]) => ` ${k}="${v}"`);
  return `${module} required${pairs.join('')};`;
}

export async function startSecuredKafka(): Promise<SecuredKafka> {
  const securedPort = await freePort();
  const mutualTlsPort = await freePort();
  const password = (mechanism: string): string => `${mechanism}-${randomBytes(12).toString('hex')}`;
  const logins: Record<SaslMechanism, SaslLogin> = {
    plain: { mechanism: 'plain', username: 'commitlog-plain', password: password('plain') },
    'scram-sha-256': {
      mechanism: 'scram-sha-256',
      username: 'commitlog-scram256',
      password: password('scram256'),
    },
    'scram-sha-512': {
      mechanism: 'scram-sha-512',
      username: 'commitlog-scram512',
      password: password('scram512'),
    },
  };
  const noCreateLogin: SaslLogin = {
    mechanism: 'plain',
    username: 'commitlog-nocreate',
    password: password('nocreate'),
  };
  const certificateDir = await mkdtemp(join(tmpdir(), 'commitlog-kafka-tls-'));
  const removeCertificates = () => rm(certificateDir, { recursive: true, force: true });
  let certificates: TestCertificates;
  let kafka: PrivateKafka;
  try {
    certificates = await makeTestCertificates(certificateDir);
    kafka = await startPrivateKafka({
      extraProperties: ({ port, controllerPort }) =>
        [
          `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_SSL://127.0.0.1:${securedPort},SSL://127.0.0.1:${mutualTlsPort}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${securedPort},SSL://127.0.0.1:${mutualTlsPort}`,
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
          'listener.name.ssl.ssl.keystore.type=PEM',
          `listener.name.ssl.ssl.keystore.location=${certificates.keyStoreFile}`,
          'listener.name.ssl.ssl.truststore.type=PEM',
          `listener.name.ssl.ssl.truststore.location=${certificates.caFile}`,
          'listener.name.ssl.ssl.client.auth=required',
          'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
          'listener.name.sasl_ssl.ssl.keystore.type=PEM',
          `listener.name.sasl_ssl.ssl.keystore.location=${certificates.keyStoreFile}`,
          `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas(
            'org.apache.kafka.common.security.plain.PlainLoginModule',
            {
              [`user_${logins.plain.username}`]: logins.plain.password,
              [`user_${noCreateLogin.username}`]: noCreateLogin.password,
            },
          )}`,
          `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
          `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
          // ACLs, so that a test can forbid a login a topic. The PLAINTEXT and CONTROLLER
          // listeners' principal (ANONYMOUS) may do anything; a resource without ACLs is open to all.
          'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          'super.users=User:ANONYMOUS',
          'allow.everyone.if.no.acl.found=true',
          '',
        ].join('\n'),
    });
  } catch (error) {
    await removeCertificates();
    throw error;
  }
  try {
    const bootstrap = kafka.brokers[0]!;
    // A user per SCRAM mechanism, one ConfigCommand run each (it alters one user at a time). The
    // broker learns them from the metadata log shortly after: a first login may still be refused.
    for (const login of [logins['scram-sha-256'], logins['scram-sha-512']]) {
      await kafka.runTool('kafka.admin.ConfigCommand', [
        '--bootstrap-server',
        bootstrap,
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        login.username,
        '--add-config',
        `${login.mechanism.toUpperCase()}=[password=${login.password}]`,
      ]);
    }
    /** Adds or removes (`change`) the ACL that denies `username` every operation on `topic`. */
    const denyAll = (change: string[], topic: string, username: string) =>
      kafka.runTool('kafka.admin.AclCommand', [
        ...['--bootstrap-server', bootstrap, ...change],
        ...['--deny-principal', `User:${username}`, '--operation', 'All', '--topic', topic],
      ]);
    return {
      plaintextBrokers: kafka.brokers,
      securedBrokers: [`127.0.0.1:${securedPort}`],
      mutualTlsBrokers: [`127.0.0.1:${mutualTlsPort}`],
      caFile: certificates.caFile,
      caPem: certificates.caPem,
      client: certificates.client,
      logins,
      noCreateLogin,
      async denyCreate(username, prefix) {
        const acl = (args: string[]) =>
          kafka.runTool('kafka.admin.AclCommand', [
            '--bootstrap-server',
            bootstrap,
            '--add',
            ...args,
          ]);
        await acl([
          '--allow-principal',
          `User:${username}`,
          '--operation',
          'Describe',
          '--operation',
          'Write',
          '--resource-pattern-type',
          'prefixed',
          '--topic',
          prefix,
        ]);
        await acl([
          '--deny-principal',
          `User:${username}`,
          '--operation',
          'Create',
          '--resource-pattern-type',
          'prefixed',
          '--topic',
          prefix,
        ]);
        await acl(['--deny-principal', `User:${username}`, '--operation', 'Create', '--cluster']);
      },
      forbidTopic: (topic, username) => denyAll(['--add'], topic, username),
      allowTopicAgain: (topic, username) => denyAll(['--remove', '--force'], topic, username),
      kafka,
      async cleanup() {
        await kafka.cleanup();
        await removeCertificates();
      },
    };
  } catch (error) {
    await kafka.cleanup();
    await removeCertificates();
    throw error;
  }
}
