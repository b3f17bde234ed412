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
