/**
 * Studies per second through the orchestrator's whole lifecycle with simulated
 * vendors answering at once: intake (header read, study assembly, routing),
 * inference over the vendor protocol on loopback, the result SR made and sent
 * by STOW-RS to a PACS stand-in that acknowledges at once, then a view and a
 * verdict through the HTTP API. Events go to memory: this is the orchestrator's
 * own overhead, without storage.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import type { AifiEvent } from '../events/index.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy, type HospitalsFile } from '../orchestrator/index.ts';
import { encodeTruth, startSimulatedVendor } from '../vendors/index.ts';
import { endProgress, machine, progress } from './bench-kit.ts';

const { values } = parseArgs({ options: { studies: { type: 'string', default: '2000' } } });
const studies = Number(values.studies);
const say = progress('lifecycle');

// A PACS stand-in that acknowledges every STOW-RS request.
const pacs = Fastify({ logger: false });
pacs.addContentTypeParser(/^multipart\/related/, { parseAs: 'buffer', bodyLimit: 1 << 26 }, (_r, b, done) => done(null, b));
pacs.post('/dicom-web/studies', async (_req, reply) => reply.code(200).send({}));
const pacsUrl = await pacs.listen({ host: '127.0.0.1', port: 0 });

const rbfracture = await startSimulatedVendor('rbfracture', { latency_median_ms: 0, latency_sigma: 0 });
const hospitals: HospitalsFile = {
  hospitals: PILOT_HOSPITALS.hospitals.map((h) => (h.id === 'catharina' ? { ...h, pacs: { via: 'stow' as const, url: `${pacsUrl}/dicom-web`, headers: {} } } : h)),
};
const events: AifiEvent[] = [];
let verdicts = 0;
const app = Fastify({ logger: false });
const orchestrator = await createOrchestrator({
  hospitals,
  secrets: new Map(hospitals.hospitals.map((h) => [h.id, { pseudonym_key: 'd'.repeat(64), token: `bench-${h.id}-0123456789abcdef` }])),
  sink: callbackSink('memory', async (e) => {
    for (const event of e) {
      events.push(event);
      if (event.type === 'verdict.recorded') verdicts++;
    }
  }),
  log: app.log,
  quietMs: 5,
  maxStowBytes: 1 << 26,
  dicom: null,
  vendors: new Map([['rbfracture', rbfracture.url]]),
  inference: { maxAttempts: 3, timeoutMs: 10_000, baseDelayMs: 50 },
  delivery: { maxAttempts: 3, timeoutMs: 10_000, baseDelayMs: 50 },
});
await app.register(orchestrator.routes);
const hospital = orchestrator.intake.hospital('catharina')!;

say(`making ${studies} wrist X-rays`);
const files = Array.from({ length: studies }, (_, i) =>
  syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', imageComments: encodeTruth({ finding: i % 5 ? 'negative' : 'positive', boneAgeYears: null }) }),
);
const delivered = new Set<string>();
const started = performance.now();
let next = 0;
const feeder = setInterval(() => {
  // Feed in slices so the event loop keeps serving vendors and deliveries meanwhile.
  for (let n = 0; n < 50 && next < files.length; n++, next++) {
    orchestrator.intake.receive(hospital, 'automatic', readInstanceHeader(files[next]!.files[0]!), 'stow');
  }
  if (next >= files.length) clearInterval(feeder);
}, 1);

const auth = { authorization: 'Bearer bench-catharina-0123456789abcdef', 'content-type': 'application/json' };
let sent = 0;
let shown = -1;
while (verdicts < studies) {
  for (const e of events.splice(0)) {
    if (e.type === 'result.delivered' && !delivered.has(e.study_key)) {
      // One view and one verdict per delivered result (which study gets which does not matter here).
      delivered.add(e.study_key);
      const study = files[sent++]!;
      const at = new Date().toISOString();
      await app.inject({ method: 'POST', url: '/v1/usage', headers: auth, payload: { id: `v-${sent}`, study_instance_uid: study.studyInstanceUid, product: 'rbfracture', user_id: 'u1', role: 'radiologist', at } });
      await app.inject({ method: 'POST', url: '/v1/verdicts', headers: auth, payload: { id: `d-${sent}`, study_instance_uid: study.studyInstanceUid, product: 'rbfracture', reader_id: 'u1', label: 'negative', agreement: true, at } });
    }
  }
  if (sent !== shown && sent % 200 === 0) say(`${(shown = sent)}/${studies} studies through their lifecycle`);
  await new Promise((r) => setTimeout(r, 2));
}
const seconds = (performance.now() - started) / 1000;
endProgress();
await orchestrator.close();
await rbfracture.close();
await pacs.close();
console.log(JSON.stringify({ bench: 'lifecycle', machine: await machine(), studies, seconds: Number(seconds.toFixed(2)), studies_per_s: Number((studies / seconds).toFixed(1)) }, null, 2));
