/** Builds commits in DESIGN's wire form for tests. Bytes go in as bytes and come out exact. */

export type WireBinary = string | { base64: string };

export interface WireSibling {
  value: string;
  contentType?: string;
  vtag?: string;
  lastModified?: string;
  usermeta?: Record<string, string>;
  indexes?: Record<string, string[]>;
}

export interface WireCommit {
  bucketType: WireBinary;
  bucket: WireBinary;
  key: WireBinary;
  op: 'put' | 'delete';
  vclock?: string;
  siblings: WireSibling[];
}

/** A binary in wire form: a string when the bytes are UTF-8, `{base64}` otherwise. */
export function wireBinary(bytes: Uint8Array | string): WireBinary {
  if (typeof bytes === 'string') return bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') };
  }
}

let counter = 0;

/** A put of one sibling; every field can be overridden. */
export function putCommit(options: {
  bucket: WireBinary;
  key: WireBinary;
  value?: Uint8Array | string;
  bucketType?: WireBinary;
  vclock?: string;
  contentType?: string;
  siblings?: WireSibling[];
}): WireCommit {
  counter++;
  const value = options.value ?? `{"n":${counter}}`;
  return {
    bucketType: options.bucketType ?? 'default',
    bucket: options.bucket,
    key: options.key,
    op: 'put',
    vclock: options.vclock ?? Buffer.from(`vclock-${counter}-${Date.now()}`).toString('base64'),
    siblings: options.siblings ?? [
      {
        value: Buffer.from(value).toString('base64'),
        contentType: options.contentType ?? 'application/json',
        vtag: `vtag${counter}`,
        lastModified: new Date().toISOString().replace('Z', '000Z'),
      },
    ],
  };
}

/** A delete (tombstone) of a key. */
export function deleteCommit(options: {
  bucket: WireBinary;
  key: WireBinary;
  bucketType?: WireBinary;
}): WireCommit {
  counter++;
  return {
    bucketType: options.bucketType ?? 'default',
    bucket: options.bucket,
    key: options.key,
    op: 'delete',
    vclock: Buffer.from(`vclock-del-${counter}-${Date.now()}`).toString('base64'),
    siblings: [],
  };
}
