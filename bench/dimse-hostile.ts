/**
 * `npm run bench:dimse-hostile [-- --connections N --mib M]`: what peers that
 * break the DICOM framing cost the C-STORE receiver. N connections each
 * announce an A-ASSOCIATE-RQ of M MiB and stream M MiB at it (no AE title
 * check can happen before the request is whole), N more send a byte stream
 * that is not DICOM; measured: the receiver's resident memory growth, the
 * longest event-loop stall while it happens, and the time until the receiver
 * has closed every connection, beside the stall of the same process idle.
 */
import { connect } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { endProgress, machine, progress } from './bench-kit.ts';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '8' }, mib: { type: 'string', default: '64' } } });
const connections = Number(values.connections);
const mib = Number(values.mib);
const say = progress('dimse-hostile');

const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h, i) => [h.id, { pseudonym_key: String(i + 1).repeat(64), token: `token-of-${h.id}-0123456789abcdef` }]));
const orchestrator = await createOrchestrator({
  hospitals: PILOT_HOSPITALS,
  secrets,
  sink: callbackSink('none', async () => {}),
  log: Fastify({ logger: false }).log,
  quietMs: 1000,
  maxStowBytes: 1 << 20,
  dicom: { host: '127.0.0.1', port: 0, aeTitle: 'AIFI' },
});
const port = orchestrator.dicomPort!;

/** Sends `head` then up to `bytes` of filler, as fast as the receiver takes it; resolves when the receiver closed the connection. */
function attack(head: Buffer, bytes: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      let sent = 0;
      const pump = () => {
        while (sent < bytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => resolve(performance.now() - started));
  });
}

// The same process idle for as long, first: on a shared machine the stall figure is only meaningful beside it.
const idle = monitorEventLoopDelay({ resolution: 10 });
idle.enable();
say('idle, for comparison');
await new Promise((r) => setTimeout(r, 1500));
idle.disable();

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
say(`${connections} connections announcing ${mib} MiB associations, ${connections} sending garbage`);
const announced = Buffer.from([1, 0, 0, 0, 0, 0]);
announced.writeUInt32BE(mib * 2 ** 20, 2);
const closes = await Promise.all([
  ...Array.from({ length: connections }, () => attack(announced, mib * 2 ** 20)),
  ...Array.from({ length: connections }, () => attack(Buffer.from('GET / HTTP/1.1\r\nHost: aifi\r\n\r\n'), mib * 2 ** 20)),
]);
delay.disable();
clearInterval(sampler);
endProgress();
await orchestrator.close();

console.log(
  JSON.stringify(
    {
      bench: 'dimse-hostile',
      machine: await machine(),
      connections: connections * 2,
      announced_mib: mib,
      rss_growth_mb: Math.round((rssPeak - rssBefore) / 2 ** 20),
      event_loop_max_stall_ms: Math.round(delay.max / 1e6),
      idle_event_loop_max_stall_ms: Math.round(idle.max / 1e6),
      slowest_close_ms: Math.round(Math.max(...closes)),
    },
    null,
    2,
  ),
);
