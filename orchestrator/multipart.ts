import { randomBytes } from 'node:crypto';

/** One part of a multipart/related body. */
export interface Part {
  contentType: string;
  body: Buffer;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

/**
 * Encodes parts as a multipart/related body (RFC 2046, 2387) and the content
 * type that names its root type and boundary: how a DICOM object travels by
 * STOW-RS. The boundary is random unless given, so that no content holds it.
 */
export function encodeMultipart(parts: readonly Part[], options: { type?: string; boundary?: string } = {}): { body: Buffer<ArrayBuffer>; contentType: string } {
  const boundary = options.boundary ?? `aifi-${randomBytes(16).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${part.contentType}\r\n\r\n`), part.body, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="${options.type ?? 'application/dicom'}"; boundary=${boundary}` };
}

/** The boundary and the `type` parameter of a multipart/related content type. */
export function multipartParameters(contentType: string): { boundary: string; type: string } {
  if (!/^multipart\/related\b/i.test(contentType)) throw new MultipartError(`expected multipart/related, got ${contentType || 'no content type'}`);
  const param = (name: string) => {
    const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(contentType);
    return m ? (m[1] ?? m[2] ?? '') : '';
  };
  const boundary = param('boundary');
  if (!boundary) throw new MultipartError('multipart/related without a boundary parameter');
  return { boundary, type: param('type') };
}

/** Splits a multipart body (RFC 2046) into its parts, without copying their content. */
export function splitMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('no part starts with the declared boundary');
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.toString('latin1', afterDelimiter, afterDelimiter + 2) === '--') break; // close delimiter
    const headerStart = body.indexOf('\r\n', afterDelimiter);
    if (headerStart < 0) throw new MultipartError('a part is cut short after its boundary');
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) throw new MultipartError('a part has no end to its headers');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) throw new MultipartError('the body ends without a closing boundary');
    const headers = body.toString('latin1', headerStart + 2, headerEnd);
    const contentType = /^content-type:\s*([^\r\n]*)/im.exec(headers)?.[1]?.trim() ?? '';
    parts.push({ contentType, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return parts;
}

export interface StreamLimits {
  /** Bytes of the whole body at most. */
  maxBytes: number;
  /** Bytes of a part's headers at most (default 16 KiB). */
  maxHeaderBytes?: number;
}

/**
 * Reads a multipart body (RFC 2046) from a stream and yields its parts one at a
 * time: memory holds the part being read, never the whole body. Throws a
 * MultipartError when the body is malformed or over `maxBytes` (`tooLarge`).
 */
export async function* streamMultipart(body: AsyncIterable<Buffer>, boundary: string, limits: StreamLimits): AsyncGenerator<Part> {
  const first = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  let pending: Buffer = Buffer.alloc(0);
  let total = 0;
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble';
  let contentType = '';
  let chunks: Buffer[] = [];
  let partBytes = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limits.maxBytes) throw new MultipartTooLargeError(limits.maxBytes);
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (state === 'preamble') {
        const at = pending.indexOf(first);
        if (at < 0) {
          if (pending.length > maxHeaderBytes) throw new MultipartError('no part starts with the declared boundary');
          break;
        }
        pending = pending.subarray(at + first.length);
        state = 'after-delimiter';
      } else if (state === 'after-delimiter') {
        if (pending.length < 2) break;
        const next = pending.toString('latin1', 0, 2);
        if (next === '--') {
          state = 'done';
          break;
        }
        state = 'headers';
      } else if (state === 'headers') {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) {
          if (pending.length > maxHeaderBytes) throw new MultipartError(`a part's headers are over ${maxHeaderBytes} bytes`);
          break;
        }
        const headers = pending.toString('latin1', 0, end);
        contentType = /(?:^|\r\n)content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim() ?? '';
        pending = pending.subarray(end + 4);
        chunks = [];
        partBytes = 0;
        state = 'body';
      } else if (state === 'body') {
        const at = pending.indexOf(delimiter);
        if (at < 0) {
          // Keep what could be the start of a delimiter; the rest belongs to the part.
          const keep = Math.min(pending.length, delimiter.length - 1);
          if (pending.length > keep) {
            chunks.push(pending.subarray(0, pending.length - keep));
            partBytes += pending.length - keep;
            pending = Buffer.from(pending.subarray(pending.length - keep));
          }
          break;
        }
        chunks.push(pending.subarray(0, at));
        const part = { contentType, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, partBytes + at) };
        chunks = [];
        pending = pending.subarray(at + delimiter.length);
        state = 'after-delimiter';
        yield part;
      } else break;
    }
    if (state === 'done') break;
  }
  if (state === 'preamble') throw new MultipartError('no part starts with the declared boundary');
  if (state !== 'done') throw new MultipartError('the body ends without a closing boundary');
}

export class MultipartTooLargeError extends MultipartError {
  constructor(readonly maxBytes: number) {
    super(`the body is over ${maxBytes} bytes`);
    this.name = 'MultipartTooLargeError';
  }
}
