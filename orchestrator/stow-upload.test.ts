import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, type Orchestrator } from './index.ts';

// Large uploads over loopback, bounded in count (four at once) and size (192 MiB each).
const MiB = 1024 * 1024;
const UPLOAD_BYTES = 192 * MiB;
const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h, i) => [h.id, { pseudonym_key: String(i + 1).repeat(64), token: `token-of-${h.id}-0123456789abcdef` }]));
const boundary = 'b0undary-aifi';
const contentType = `multipart/related; type="application/dicom"; boundary=${boundary}`;
let app: FastifyInstance;
let orchestrator: Orchestrator;
let url: URL;

/** Streams `bytes` of multipart body (parts of `partBytes` that are not DICOM) without holding them; resolves with the status. */
function upload(headers: Record<string, string>, bytes: number, partBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': contentType, 'transfer-encoding': 'chunked' } });
    let status = 0;
    req.on('response', (response) => {
      status = response.statusCode ?? 0;
      response.resume();
      response.on('end', () => {
        resolve(status);
        req.destroy();
      });
    });
    req.on('error', (error) => (status ? resolve(status) : reject(error)));
    const filler = Buffer.alloc(MiB, 0x41);
    let sent = 0;
    let inPart = partBytes;
    const pump = () => {
      while (sent < bytes && !status) {
        let chunk: Buffer;
        if (inPart >= partBytes) {
          chunk = Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
          inPart = 0;
        } else {
          chunk = filler.subarray(0, Math.min(filler.length, partBytes - inPart));
          inPart += chunk.length;
        }
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!status) req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

/** Runs the uploads and returns their statuses and how far RSS rose above where it was before. */
async function peakRssGrowth(uploads: () => Promise<number>[]): Promise<{ statuses: number[]; growthMiB: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const statuses = await Promise.all(uploads());
    peak = Math.max(peak, process.memoryUsage().rss);
    return { statuses, growthMiB: (peak - before) / MiB };
  } finally {
    clearInterval(sampler);
  }
}

beforeAll(async () => {
  app = Fastify({ logger: false });
  orchestrator = await createOrchestrator({
    hospitals: PILOT_HOSPITALS,
    secrets,
    sink: callbackSink('memory', async () => {}),
    log: app.log,
    quietMs: 50,
    maxStowBytes: 256 * MiB,
    dicom: null,
  });
  await app.register(orchestrator.routes);
  url = new URL('/dicomweb/studies', await app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await app.close();
  await orchestrator.close();
});

describe('STOW-RS under large uploads', () => {
  it('refuses uploads without a token before reading them: four of 192 MiB at once leave memory where it was', async () => {
    const { statuses, growthMiB } = await peakRssGrowth(() => Array.from({ length: 4 }, () => upload({}, UPLOAD_BYTES, 8 * MiB)));
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(growthMiB).toBeLessThan(64);
  }, 60_000);

  it('reads an authenticated upload one part at a time: four of 192 MiB at once hold a few parts, not the bodies', async () => {
    const auth = { authorization: 'Bearer token-of-gelre-0123456789abcdef' };
    const { statuses, growthMiB } = await peakRssGrowth(() => Array.from({ length: 4 }, () => upload(auth, UPLOAD_BYTES, 2 * MiB)));
    // Every part is refused (not DICOM), so each upload answers 409 once it has been read to the end.
    expect(statuses).toEqual([409, 409, 409, 409]);
    // The bodies together are 768 MiB; what is held is four parts of 2 MiB and the garbage the collector has yet to take.
    expect(growthMiB).toBeLessThan(256);
  }, 120_000);
});
