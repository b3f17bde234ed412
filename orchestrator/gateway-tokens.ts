import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hospital } from './hospitals.ts';

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

/**
 * The gateways' authentication as a fastify `onRequest` hook: a request
 * without a gateway's token is answered 401 before a byte of its body is
 * read; `hospitalOf` gives a handler the hospital the token stands for.
 */
export class GatewayAuth {
  private readonly senders = new WeakMap<FastifyRequest, Hospital>();

  constructor(
    private readonly tokens: GatewayTokens,
    private readonly hospital: (id: string) => Hospital | undefined,
  ) {}

  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const id = this.tokens.resolve(request.headers.authorization);
    const hospital = id ? this.hospital(id) : undefined;
    if (!hospital) {
      await reply.code(401).header('www-authenticate', 'Bearer realm="aifi"').send({ error: 'a gateway token is required (Authorization: Bearer <token>)' });
      return;
    }
    this.senders.set(request, hospital);
  };

  /** The hospital of a request that passed the hook. */
  hospitalOf(request: FastifyRequest): Hospital {
    const hospital = this.senders.get(request);
    if (!hospital) throw new Error(`${request.method} ${request.url} is served without the gateway authentication hook`);
    return hospital;
  }
}
