import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyAbortedError, BodyTooLargeError, readRawBody } from './read-raw-body.ts';

describe('readRawBody', () => {
  it('returns the exact bytes, up to and including the limit', async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xff]);
    const body = await readRawBody(Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]), 6);
    expect(body.equals(bytes)).toBe(true);
  });

  it('reads an empty body', async () => {
    expect((await readRawBody(Readable.from([]), 10)).length).toBe(0);
  });

  it('stops reading once over the limit, holding no more than the limit', async () => {
    const stream = new PassThrough();
    const reading = readRawBody(stream, 10);
    stream.write(Buffer.alloc(8));
    stream.write(Buffer.alloc(8));
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(error).toMatchObject({ code: 'BODY_TOO_LARGE', limit: 10 });
    // It paused the stream: nothing more is pulled off the wire.
    expect(stream.isPaused()).toBe(true);
  });

  it('rejects when the client goes away mid-body', async () => {
    const stream = new PassThrough();
    const reading = readRawBody(stream, 100);
    stream.write(Buffer.alloc(8));
    stream.destroy();
    await expect(reading).rejects.toBeInstanceOf(BodyAbortedError);
  });

  it('rejects when the stream fails', async () => {
    const stream = new PassThrough();
    const reading = readRawBody(stream, 100);
    stream.destroy(new Error('ECONNRESET'));
    await expect(reading).rejects.toBeInstanceOf(BodyAbortedError);
  });
});
