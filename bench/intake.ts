/**
 * The orchestrator's intake. Throughput: instances per second through STOW-RS
 * (HTTP on loopback) and through C-STORE (dcmtk's storescu as the sender) into
 * the whole embedded stack. Latency: header read + registration per instance,
 * and the routing decision per completed study (pseudonymise, route, make and
 * hand over the events), p50/p99, for a 6 MB DX and a 300-instance CT series.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Fastify from 'fastify';
import { startStack } from '../cli/index.ts';
import { loadConfig } from '../config/index.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy } from '../orchestrator/index.ts';
import { tempDir, waitFor } from '../testing/index.ts';
import { endProgress, machine, percentile, progress } from './bench-kit.ts';

const { values } = parseArgs({ options: { dx: { type: 'string', default: '20' }, 'ct-instances': { type: 'string', default: '300' } } });
const dxCount = Number(values.dx);
const ctInstances = Number(values['ct-instances']);
const say = progress('intake');
const run = promisify(execFile);

say('making synthetic studies');
const dxStudies = Array.from({ length: dxCount }, () => syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', rows: 2048, columns: 1536 }));
const ct = syntheticStudy({ modality: 'CT', bodyPart: 'CHEST', patientAge: '060Y', contrastAgent: 'IOMERON', instances: ctInstances, rows: 512, columns: 512 });
const ctForDimse = syntheticStudy({ modality: 'CT', bodyPart: 'CHEST', patientAge: '060Y', contrastAgent: 'IOMERON', instances: ctInstances, rows: 512, columns: 512 });

// --- latency of the intake path itself, in process (no network, events to memory)
const hospital = PILOT_HOSPITALS.hospitals[0]!;
const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h) => [h.id, { pseudonym_key: 'b'.repeat(64), token: `bench-${h.id}-0123456789abcdefgh` }]));
const memory = await createOrchestrator({
  hospitals: PILOT_HOSPITALS,
  secrets,
  sink: callbackSink('memory', async () => {}),
  log: Fastify({ logger: false }).log,
  quietMs: 3_600_000,
  maxStowBytes: 1 << 30,
  dicom: null,
});
function latency(files: Buffer[][]) {
  const perInstance: number[] = [];
  const perStudy: number[] = [];
  for (const study of files) {
    for (const file of study) {
      const t = performance.now();
      memory.intake.receive(hospital, 'automatic', readInstanceHeader(file), 'stow', t);
      perInstance.push(performance.now() - t);
    }
    const t = performance.now();
    // Completing the study runs the routing decision and hands the events to the sink.
    void memory.intake.flush();
    perStudy.push(performance.now() - t);
  }
  return { perInstance, perStudy };
}
say('timing the intake path');
latency(dxStudies.slice(0, 3).map((s) => s.files)); // warm-up
const dxLatency = latency(dxStudies.map((s) => s.files));
const ctLatency = latency(
  Array.from({ length: 5 }, () => syntheticStudy({ modality: 'CT', bodyPart: 'CHEST', patientAge: '060Y', contrastAgent: 'X', instances: ctInstances }).files),
);
await memory.close();

// --- throughput through the whole embedded stack
const dir = tempDir('bench-intake');
const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_STUDY_QUIET_MS: '200', AIFI_LOG_LEVEL: 'silent' });
const stack = await startStack(config, { port: 0, dicomPort: 0 });
const token = JSON.parse(readFileSync(config.orchestrator.secretsFile, 'utf8')).hospitals.catharina.token;

async function stow(files: Buffer[]): Promise<void> {
  const boundary = 'bench-boundary';
  const parts: Buffer[] = [];
  for (const f of files) parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const response = await fetch(`${stack.url}/dicomweb/studies`, {
    method: 'POST',
    body: Buffer.concat(parts),
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
  });
  if (response.status !== 200) throw new Error(`STOW answered ${response.status}: ${await response.text()}`);
}
async function studiesStored(n: number) {
  await waitFor(`${n} studies in the store`, async () => {
    const [row] = await stack.store.query<{ n: number }>("SELECT count() AS n FROM events WHERE type = 'study.received'");
    return row!.n >= n;
  }, 120_000);
}

say(`STOW-RS: ${dxCount} DX of 6 MB, one request each`);
let t = performance.now();
for (const s of dxStudies) await stow(s.files);
const stowDxSeconds = (performance.now() - t) / 1000;
say(`STOW-RS: one CT series of ${ctInstances} instances in one request`);
t = performance.now();
await stow(ct.files);
const stowCtSeconds = (performance.now() - t) / 1000;
await studiesStored(dxCount + 1);

say(`C-STORE (storescu): the DX studies and a CT series of ${ctInstances}`);
const dxPaths = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', rows: 2048, columns: 1536, instances: dxCount }).files.map((f, i) => {
  const path = join(dir.path, `dx-${i}.dcm`);
  writeFileSync(path, f);
  return path;
});
const ctPaths = ctForDimse.files.map((f, i) => {
  const path = join(dir.path, `ct-${i}.dcm`);
  writeFileSync(path, f);
  return path;
});
const port = String(stack.orchestrator.dicomPort);
t = performance.now();
await run('storescu', ['-aet', 'CZE_PACS', '-aec', 'AIFI', '127.0.0.1', port, ...dxPaths]);
const dimseDxSeconds = (performance.now() - t) / 1000;
t = performance.now();
await run('storescu', ['-aet', 'CZE_PACS', '-aec', 'AIFI', '127.0.0.1', port, ...ctPaths]);
const dimseCtSeconds = (performance.now() - t) / 1000;
await studiesStored(dxCount + 3);
endProgress();
await stack.close();
dir.remove();

const ms = (v: number) => Number(v.toFixed(3));
console.log(
  JSON.stringify(
    {
      bench: 'intake',
      machine: await machine(),
      stow_dx_6mb_instances_per_s: ms(dxCount / stowDxSeconds),
      stow_dx_mb_per_s: ms((dxStudies[0]!.files[0]!.length * dxCount) / 2 ** 20 / stowDxSeconds),
      stow_ct_instances_per_s: ms(ctInstances / stowCtSeconds),
      cstore_dx_6mb_instances_per_s: ms(dxCount / dimseDxSeconds),
      cstore_ct_instances_per_s: ms(ctInstances / dimseCtSeconds),
      dx_6mb_header_and_register_ms: { p50: ms(percentile(dxLatency.perInstance, 50)), p99: ms(percentile(dxLatency.perInstance, 99)) },
      dx_routing_decision_ms: { p50: ms(percentile(dxLatency.perStudy, 50)), p99: ms(percentile(dxLatency.perStudy, 99)) },
      ct_instance_header_and_register_ms: { p50: ms(percentile(ctLatency.perInstance, 50)), p99: ms(percentile(ctLatency.perInstance, 99)) },
      ct_300_routing_decision_ms: { p50: ms(percentile(ctLatency.perStudy, 50)), p99: ms(percentile(ctLatency.perStudy, 99)) },
    },
    null,
    2,
  ),
);
