import { createHash } from 'node:crypto';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Bearer tokens of the hospitals' gateways, kept only as SHA-256 digests. A
 * request authenticates with `Authorization: Bearer <token>`, or Basic with the
 * token as password (what most PACS can be configured to send).
 */
export class GatewayTokens {
  private readonly byDigest: Map<string, string>;

  constructor(tokens: Iterable<[hospitalId: string, token: string]>) {
    this.byDigest = new Map([...tokens].map(([id, token]) => [digest(token), id]));
  }

  /** The hospital a request's Authorization header stands for, if any. */
  resolve(authorization: string | undefined): string | undefined {
    if (!authorization) return undefined;
    const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
    let token = '';
    if (/^bearer$/i.test(scheme ?? '')) token = value;
    else if (/^basic$/i.test(scheme ?? '')) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      token = decoded.slice(decoded.indexOf(':') + 1);
    }
    return token ? this.byDigest.get(digest(token)) : undefined;
  }
}
