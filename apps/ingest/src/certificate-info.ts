import { X509Certificate } from 'node:crypto';

/** What operators are shown of a served certificate: never its key, nor the PEM. */
export interface CertificateInfo {
  /** Its serial number, in hex, as `openssl x509 -serial` prints it. */
  serial: string;
  /** The end of its validity (notAfter). */
  notAfter: Date;
}

/**
 * The serial and notAfter of the first certificate of `pem` (the server's own; intermediates
 * follow it). The PEM was checked already: a text without a certificate throws.
 */
export function certificateInfo(pem: string): CertificateInfo {
  const certificate = new X509Certificate(pem);
  // `validTo` is OpenSSL's text (`Dec 10 00:03:12 2026 GMT`), which Date reads.
  return { serial: certificate.serialNumber, notAfter: new Date(certificate.validTo) };
}
