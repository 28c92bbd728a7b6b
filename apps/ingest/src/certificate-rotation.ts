import {
  INGEST_TLS_PAIR,
  INGEST_TLS_VARIABLES,
  readCertificatePair,
  type ConfigProblem,
  type Logger,
  type TlsCredentials,
} from '@commitlog/runtime';
import { readFileSync } from 'node:fs';
import { certificateInfo, type CertificateInfo } from './certificate-info.ts';

/**
 * How often the ingest re-reads INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE, ms. A Secret's
 * update reaches a pod's files within about a minute (the kubelet's sync), and cert-manager
 * renews a certificate long before it ends: a minute more is nothing, and reading two small
 * files a minute costs nothing. Polling, not `fs.watch`: a Secret's files are symbolic links
 * swapped as a whole, which a watch on the file does not see.
 */
export const CERTIFICATE_CHECK_EVERY_MS = 60_000;

export interface CertificateRotationOptions {
  /** INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE. */
  files: { certFile: string; keyFile: string };
  /** The pair the server was started with, as read from the files. */
  served: TlsCredentials;
  /** Serves a new pair to the handshakes from now on (the server's `useCredentials`). */
  use(credentials: TlsCredentials): void;
  /** Told of each certificate served: the first one at once, then each one rotated to. */
  onServing(info: CertificateInfo): void;
  /** Told of each check that found new files and kept the old pair. */
  onRefused(): void;
  logger: Logger;
  /** Reads a UTF-8 text file. Default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

/** What one check did. */
export type CertificateCheck = 'unchanged' | 'rotated' | 'refused';

export interface CertificateRotation {
  /**
   * Reads both files; when either differs from the pair served, checks the new pair with the
   * start-up's rules and serves it, or logs why not (never the key) and keeps the old one.
   */
  check(): CertificateCheck;
}

type Snapshot = { text: string } | { error: unknown };

/**
 * Takes a renewed certificate without a restart (cert-manager, a Secret's update). A file read
 * in the middle of a non-atomic update (the certificate new, the key still old) is refused as a
 * mismatch, and taken at the next check.
 */
export function createCertificateRotation(
  options: CertificateRotationOptions,
): CertificateRotation {
  const { files, logger } = options;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  let served = options.served;
  let serving = certificateInfo(served.cert);
  options.onServing(serving);

  const snapshot = (path: string): Snapshot => {
    try {
      return { text: readFile(path) };
    } catch (error) {
      return { error };
    }
  };

  function refuse(problems: ConfigProblem[]): 'refused' {
    options.onRefused();
    logger.error(
      { problems, serial: serving.serial, notAfter: serving.notAfter.toISOString() },
      `the replaced ${INGEST_TLS_VARIABLES.cert}/${INGEST_TLS_VARIABLES.key} were refused: ` +
        `still serving the certificate read before (serial ${serving.serial}); an ingest ` +
        'started now would refuse to start. Checked again in a minute',
    );
    return 'refused';
  }

  return {
    check() {
      // Read once: the pair checked is the pair compared and served.
      const read = new Map([files.certFile, files.keyFile].map((path) => [path, snapshot(path)]));
      const text = (path: string): string => {
        const got = read.get(path) as Snapshot;
        if ('error' in got) throw got.error;
        return got.text;
      };
      const cert = read.get(files.certFile) as Snapshot;
      const key = read.get(files.keyFile) as Snapshot;
      if ('text' in cert && 'text' in key && cert.text === served.cert && key.text === served.key) {
        return 'unchanged';
      }
      const problems: ConfigProblem[] = [];
      const pair = readCertificatePair(
        INGEST_TLS_VARIABLES,
        { cert: files.certFile, key: files.keyFile },
        { readFile: text },
        problems,
        INGEST_TLS_PAIR,
      );
      if (pair === undefined) return refuse(problems);
      const next = certificateInfo(pair.cert);
      try {
        options.use(pair);
      } catch (error) {
        // OpenSSL's code only: its message could one day quote what it was given.
        const code = (error as { code?: unknown }).code;
        const reason = typeof code === 'string' ? code : 'refused by Node';
        return refuse([{ variable: INGEST_TLS_VARIABLES.cert, message: `not served: ${reason}` }]);
      }
      logger.info(
        {
          serial: next.serial,
          notAfter: next.notAfter.toISOString(),
          previousSerial: serving.serial,
        },
        `serving the renewed certificate of ${INGEST_TLS_VARIABLES.cert} (serial ${next.serial})`,
      );
      served = pair;
      serving = next;
      options.onServing(next);
      return 'rotated';
    },
  };
}

/** Runs a function every so often; what `watchCertificate` is given in tests. */
export type Every = (run: () => void, everyMs: number) => { cancel(): void };

/** `setInterval`, never holding the process open on its own. */
export const every: Every = (run, everyMs) => {
  const timer = setInterval(run, everyMs);
  timer.unref();
  return { cancel: () => clearInterval(timer) };
};

/**
 * Checks the rotation every CERTIFICATE_CHECK_EVERY_MS; returns what stops it. A check that
 * throws (a bug) is logged, and the next one runs.
 */
export function watchCertificate(
  rotation: CertificateRotation,
  logger: Logger,
  schedule: Every = every,
): () => void {
  const timer = schedule(() => {
    try {
      rotation.check();
    } catch (err) {
      logger.error({ err }, 'the check of the TLS certificate files failed');
    }
  }, CERTIFICATE_CHECK_EVERY_MS);
  return () => timer.cancel();
}
