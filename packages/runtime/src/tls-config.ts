import type { ConfigProblem } from './config-error.ts';
import type {
  CommonConfig,
  ConfigDeps,
  KafkaClientConfig,
  ServingCertificate,
} from './config-types.ts';
import { readCaFile, readCertificatePair, readClientCertificate } from './tls-files.ts';

/** The Redis TLS variables, as read from the environment (unset ones absent). */
export interface RedisTlsValues {
  REDIS_URL?: string | undefined;
  REDIS_TLS_CA_FILE?: string | undefined;
  REDIS_TLS_CERT_FILE?: string | undefined;
  REDIS_TLS_KEY_FILE?: string | undefined;
}

/** The Kafka TLS variables, as read from the environment (unset ones absent). */
export interface KafkaTlsValues {
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SSL_CERT_FILE?: string | undefined;
  KAFKA_SSL_KEY_FILE?: string | undefined;
}

const REDIS_TLS_FILES = ['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const;
const KAFKA_TLS_FILES = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;

/**
 * The TLS files of a TLS Redis address (a private CA, a client certificate), read and checked now
 * (every role reads them). Set with a plain `redis://` address they are a mistake: the connection
 * would not use them.
 */
export function readRedisTls(
  values: RedisTlsValues,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): Pick<CommonConfig, 'redisTlsCa' | 'redisTlsCaFile' | 'redisTlsClient'> {
  const url = values.REDIS_URL;
  const set = REDIS_TLS_FILES.filter((name) => values[name] !== undefined);
  if (set.length === 0) return {};
  if (url !== undefined && !/^rediss(-cluster)?:/i.test(url)) {
    for (const variable of set) {
      problems.push({
        variable,
        message: `is set but REDIS_URL does not use TLS: use rediss:// (or rediss-cluster://), or unset ${variable}`,
      });
    }
    return {};
  }
  const file = values.REDIS_TLS_CA_FILE;
  const ca = readCaFile('REDIS_TLS_CA_FILE', file, deps, problems);
  const client = readClientCertificate(
    { cert: 'REDIS_TLS_CERT_FILE', key: 'REDIS_TLS_KEY_FILE' },
    { cert: values.REDIS_TLS_CERT_FILE, key: values.REDIS_TLS_KEY_FILE },
    deps,
    problems,
  );
  return {
    ...(ca === undefined ? {} : { redisTlsCa: ca, redisTlsCaFile: file }),
    ...(client === undefined ? {} : { redisTlsClient: client }),
  };
}

/**
 * The worker's Kafka TLS files (a private CA, a client certificate), read and checked now. Set
 * with `KAFKA_SSL=false` they are a mistake: the connection would not use them.
 */
export function readKafkaTls(
  values: KafkaTlsValues,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): Pick<KafkaClientConfig, 'sslCa' | 'sslCaFile' | 'sslClient'> {
  if (values.KAFKA_SSL === false) {
    for (const variable of KAFKA_TLS_FILES.filter((name) => values[name] !== undefined)) {
      problems.push({
        variable,
        message: `is set but KAFKA_SSL is false: set KAFKA_SSL=true to reach the brokers over TLS, or unset ${variable}`,
      });
    }
  }
  const file = values.KAFKA_SSL_CA_FILE;
  const ca = readCaFile('KAFKA_SSL_CA_FILE', file, deps, problems);
  const client = readClientCertificate(
    { cert: 'KAFKA_SSL_CERT_FILE', key: 'KAFKA_SSL_KEY_FILE' },
    { cert: values.KAFKA_SSL_CERT_FILE, key: values.KAFKA_SSL_KEY_FILE },
    deps,
    problems,
  );
  return {
    ...(ca === undefined ? {} : { sslCa: ca, sslCaFile: file }),
    ...(client === undefined ? {} : { sslClient: client }),
  };
}

/** The ingest's TLS variables, as read from the environment (unset ones absent). */
export interface IngestTlsValues {
  INGEST_TLS_CERT_FILE?: string | undefined;
  INGEST_TLS_KEY_FILE?: string | undefined;
}

/** The variables of the ingest's own certificate, for the messages of a refused pair. */
export const INGEST_TLS_VARIABLES = {
  cert: 'INGEST_TLS_CERT_FILE',
  key: 'INGEST_TLS_KEY_FILE',
} as const;

/** What a refused pair is called in the message for a missing half. */
export const INGEST_TLS_PAIR = "the ingest's TLS certificate";

/**
 * The certificate the ingest serves HTTPS with, read and checked now: both files or neither, as
 * a client certificate's (a certificate, its unencrypted key, belonging together). A mistake
 * found only at the first handshake would refuse every hook, with no word on which file is wrong.
 */
export function readIngestTls(
  values: IngestTlsValues,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): { tls?: ServingCertificate } {
  const paths = { cert: values.INGEST_TLS_CERT_FILE, key: values.INGEST_TLS_KEY_FILE };
  const pair = readCertificatePair(INGEST_TLS_VARIABLES, paths, deps, problems, INGEST_TLS_PAIR);
  if (pair === undefined || paths.cert === undefined || paths.key === undefined) return {};
  return { tls: { ...pair, certFile: paths.cert, keyFile: paths.key } };
}
