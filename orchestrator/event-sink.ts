import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzipSync } from 'node:zlib';
import { SinkError, type AifiEvent, type EventSink } from '../events/index.ts';

export { SinkError, type EventSink };

/** Hands events to a function in the same process (a test's or a benchmark's memory). The collector's own is its InProcessSink. */
export function callbackSink(name: string, accept: (events: readonly AifiEvent[]) => Promise<void>): EventSink {
  return { name, send: accept, close: async () => {} };
}

/**
 * How the orchestrator reaches a collector over HTTPS: the CA that signed the collector's
 * certificate (else the system's), and for mutual TLS its own certificate and key (PEM).
 */
export interface CollectorTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** Sends events to a remote collector's `POST /v1/events` as a gzipped JSON array (over HTTPS when its URL says so). */
export class HttpSink implements EventSink {
  readonly name = 'http';
  private readonly agent: HttpsAgent | undefined;
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
    tls: CollectorTls = {},
  ) {
    const secure = new URL(url).protocol === 'https:';
    if (!secure && (tls.ca || tls.cert || tls.key)) throw new Error(`collector TLS settings are given but the collector URL ${url} is not https`);
    // The collector's certificate is always verified; a keep-alive agent holds the TLS session.
    this.agent = secure ? new HttpsAgent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true }) : undefined;
  }

  async send(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return;
    let response: { status: number; headers: IncomingHttpHeaders; body: string };
    try {
      response = await this.post(gzipSync(JSON.stringify(events)));
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // A certificate that does not verify will not verify on a second try either.
      const tlsRefusal = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME|ALERT/.test(code) || /certificate|alert/i.test((error as Error).message);
      throw new SinkError(`collector at ${this.url} ${tlsRefusal ? 'refused over TLS' : 'unreachable'}: ${(error as Error).message}${code ? ` (${code})` : ''}`, !tlsRefusal);
    }
    const body = response.body.slice(0, 2000);
    if (response.status === 202) {
      const rejected = (JSON.parse(body || '{}') as { rejected?: { path: string; reason: string }[] }).rejected ?? [];
      if (rejected.length) throw new SinkError(`the collector refused ${rejected.length} of the events: ${rejected[0]!.reason}`, false);
      return;
    }
    const retryAfter = Number(response.headers['retry-after']);
    const retryable = response.status === 429 || response.status >= 500;
    throw new SinkError(`collector answered ${response.status}: ${body}`, retryable, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }

  private post(payload: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const target = new URL('/v1/events', this.url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': payload.length, authorization: `Bearer ${this.token}` },
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if ((size += c.length) <= 64 * 1024) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async close(): Promise<void> {
    this.agent?.destroy();
  }
}
