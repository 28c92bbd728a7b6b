import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';

const SASL_VARIABLES = [
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
] as const;

/** The worker's Kafka login settings as parsed (absent when missing or invalid). */
export interface KafkaSaslValues {
  KAFKA_SASL_MECHANISM?: string | undefined;
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SASL_PLAIN_WITHOUT_TLS?: boolean | undefined;
}

/** What is wrong with the worker's Kafka login settings taken together; empty when nothing. */
export function kafkaSaslProblems(values: KafkaSaslValues, env: Env): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // All three SASL settings or none: half a credential is a mistake, not a choice.
  const isSet = (name: string): boolean => (env[name] ?? '').trim() !== '';
  const present = SASL_VARIABLES.filter(isSet);
  if (present.length > 0) {
    for (const name of SASL_VARIABLES.filter((n) => !isSet(n))) {
      problems.push({
        variable: name,
        message: `is required when ${present.join(' and ')} ${present.length > 1 ? 'are' : 'is'} set (set all three SASL variables or none)`,
      });
    }
  }
  // PLAIN sends the password as it is; without TLS, to anyone on the path. A network that
  // encrypts by itself (a service mesh's mTLS) says so explicitly.
  if (
    values.KAFKA_SASL_MECHANISM === 'plain' &&
    values.KAFKA_SSL === false &&
    values.KAFKA_SASL_PLAIN_WITHOUT_TLS !== true
  ) {
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      message:
        'plain sends the password unencrypted without KAFKA_SSL=true; turn TLS on, use scram-sha-256 or scram-sha-512, or set KAFKA_SASL_PLAIN_WITHOUT_TLS=true where the network itself encrypts',
    });
  }
  return problems;
}
