import { describe, expect, it } from 'vitest';
import { encodeMultipart, multipartParameters, MultipartError, MultipartTooLargeError, splitMultipart, streamMultipart } from './multipart.ts';

const boundary = 'b0undary';
const body = Buffer.concat([
  Buffer.from(`preamble\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
  Buffer.from('first part, with \r\n--b0und in it'),
  Buffer.from(`\r\n--${boundary}\r\ncontent-type: image/jpeg\r\n\r\n`),
  Buffer.alloc(3000, 7),
  Buffer.from(`\r\n--${boundary}--\r\nepilogue`),
]);

async function* chunked(buffer: Buffer, size: (i: number) => number) {
  for (let at = 0, i = 0; at < buffer.length; i++) {
    const n = Math.max(1, size(i));
    yield buffer.subarray(at, at + n);
    at += n;
  }
}

async function collect(source: AsyncIterable<Buffer>, maxBytes = 1 << 20) {
  const parts = [];
  for await (const part of streamMultipart(source, boundary, { maxBytes })) parts.push(part);
  return parts;
}

describe('a multipart body read as a stream', () => {
  it('yields the same parts as the whole body split at once, however the chunks fall', async () => {
    const expected = splitMultipart(body, boundary);
    for (const size of [() => 1, () => 7, (i: number) => (i * 37) % 101, () => body.length]) {
      const parts = await collect(chunked(body, size));
      expect(parts.map((p) => p.contentType)).toEqual(['application/dicom', 'image/jpeg']);
      expect(parts.map((p) => p.body.toString('latin1'))).toEqual(expected.map((p) => p.body.toString('latin1')));
    }
  });

  it('refuses a body over the limit, a body cut short and a body without the boundary', async () => {
    await expect(collect(chunked(body, () => 100), 1000)).rejects.toBeInstanceOf(MultipartTooLargeError);
    await expect(collect(chunked(body.subarray(0, body.length - 20), () => 100))).rejects.toThrow(/ends without a closing boundary/);
    await expect(collect(chunked(Buffer.from('no parts here'), () => 5))).rejects.toThrow(MultipartError);
  });
});

describe('a multipart body written', () => {
  it('reads back as the parts it was made of, under a boundary of its own each time', async () => {
    const parts = [
      { contentType: 'application/dicom', body: Buffer.from('first part, with \r\n--aifi- in it') },
      { contentType: 'image/jpeg', body: Buffer.alloc(3000, 7) },
    ];
    const written = encodeMultipart(parts);
    const { boundary: own, type } = multipartParameters(written.contentType);
    expect(type).toBe('application/dicom');
    expect(own).not.toBe(multipartParameters(encodeMultipart(parts).contentType).boundary);
    expect(splitMultipart(written.body, own)).toEqual(parts);
    const streamed = [];
    for await (const part of streamMultipart(chunked(written.body, () => 13), own, { maxBytes: 1 << 20 })) streamed.push(part);
    expect(streamed).toEqual(parts);
    expect(encodeMultipart([], { boundary: 'b', type: 'application/dicom+xml' })).toEqual({ body: Buffer.from('--b--\r\n'), contentType: 'multipart/related; type="application/dicom+xml"; boundary=b' });
  });
});
