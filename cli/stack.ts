import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Collector, InProcessSink, ingestRoutes, KafkaIngest, SenderTokens } from '../collector/index.ts';
import { readSettingFile, type Config } from '../config/index.ts';
import {
  createOrchestrator,
  HttpSink,
  KafkaSink,
  loadHospitals,
  loadSecrets,
  contractedProducts,
  type EventSink,
  type HospitalsFile,
  type Orchestrator,
} from '../orchestrator/index.ts';
import { viewRoutes, ViewerTokens } from '../dashboards/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import { PRODUCT_IDS, type ProductId } from '../events/index.ts';
import { PRODUCT_BASELINE } from '../simulator/index.ts';
import { startSimulatedVendor, type SimulatedVendor, type VendorBehaviourInput } from '../vendors/index.ts';
import { createHttpApp, type ReadinessCheck } from './http-app.ts';
import { startLocalAccess } from './local-access.ts';
import { ScrapeToken } from './scrape-token.ts';

/** Which parts of the stack run in this process. */
export type Role = 'all' | 'collector' | 'orchestrator';

export interface Stack {
  app: FastifyInstance;
  /** http://host:port of the HTTP endpoints. */
  url: string;
  store: Store | null;
  collector: Collector | null;
  kafka: KafkaIngest | null;
  orchestrator: Orchestrator | null;
  /** The simulated vendor services started for products without a configured vendor. */
  vendors: Map<ProductId, SimulatedVendor>;
  /** Who may open the built-in dashboard view (with a store only). */
  viewers: ViewerTokens | null;
  /** The bearer token that /metrics asks for. */
  scrapeToken: string;
  /** Stops intake first, then hands over and writes what is in flight, then closes the store. */
  close: () => Promise<void>;
}

/** The whole stack in one process: every part present. */
export type FullStack = Stack & { store: Store; collector: Collector; orchestrator: Orchestrator };

export interface StackOptions {
  role?: Role;
  port?: number;
  dicomPort?: number | null;
  /** The HL7 v2 (MLLP) port; null: none. By default the configured one, or any free one when the HTTP port is 0. */
  hl7Port?: number | null;
  /** Hospitals to use instead of the configured ones (the live simulation points their PACS at its own). */
  hospitals?: HospitalsFile;
  /** Behaviour of the simulated vendors started for products without a configured vendor. */
  simulatedVendors?: Partial<Record<ProductId, VendorBehaviourInput>>;
}

const PILOT_VENDORS: Partial<Record<ProductId, VendorBehaviourInput>> = {
  bonexpert: { model_version: '3.2.1', latency_median_ms: 2_000, sd_years: 0.6, seed: 'bonexpert' },
  rbfracture: { model_version: '2.1.0', latency_median_ms: 4_000, sensitivity: 0.92, specificity: 0.88, seed: 'rbfracture' },
  'cina-ipe': { model_version: '1.4.2', latency_median_ms: 8_000, sensitivity: 0.9, specificity: 0.95, seed: 'cina-ipe' },
};

/**
 * Simulated vendors answer like the simulator's products, a little faster:
 * seconds, not minutes (the pilot's three as they always did, the others at a
 * thirtieth of their simulated inference time, 2 to 10 s).
 */
export const DEFAULT_SIMULATED_VENDORS = Object.fromEntries(
  PRODUCT_IDS.map((p) => {
    const base = PRODUCT_BASELINE[p];
    const fallback: VendorBehaviourInput = {
      model_version: base.modelVersion,
      latency_median_ms: Math.min(10_000, Math.max(2_000, Math.round(base.inferenceMedianMs / 30))),
      sensitivity: base.sensitivity,
      specificity: base.specificity,
      seed: p,
    };
    return [p, PILOT_VENDORS[p] ?? fallback];
  }),
) as Record<ProductId, VendorBehaviourInput>;

/**
 * Starts the stack, or one role of it, in this process. The embedded mode runs
 * everything with events handed over in process; with Kafka configured the
 * orchestrator produces to the topic and the collector consumes it.
 */
export async function startStack(config: Config, options?: StackOptions & { role?: 'all' }): Promise<FullStack>;
export async function startStack(config: Config, options: StackOptions): Promise<Stack>;
export async function startStack(config: Config, options: StackOptions = {}): Promise<Stack> {
  const role = options.role ?? 'all';
  const readiness: ReadinessCheck[] = [];
  const hospitals = options.hospitals ?? loadHospitals(config.orchestrator.hospitalsFile);
  const scrape = ScrapeToken.fromFile(config.metrics.tokenFile, config.metrics.generated);
  const registries: Registry[] = [];
  const app = createHttpApp(config, readiness, scrape, registries);
  // Each part's cleanup is an onClose hook, added as the part starts: app.close() stops taking requests, waits for
  // those in flight, then runs the hooks last added first, so that the orchestrator hands over what it holds before
  // the collector writes it, and the collector before the store closes.
  const onClose = (close: () => Promise<void>) => app.addHook('onClose', close);
  try {
    let store: Store | null = null;
    let collector: Collector | null = null;
    let kafka: KafkaIngest | null = null;
    let orchestrator: Orchestrator | null = null;
    const vendors = new Map<ProductId, SimulatedVendor>();
    let viewers: ViewerTokens | null = null;

    if (role !== 'orchestrator') {
      const s = await openStore(config.store);
      store = s;
      onClose(() => s.close());
      await migrate(s);
      // The embedded store is this process's alone: \`aifi query\` and \`aifi report\` ask it while it runs.
      if (s.kind === 'embedded') {
        const local = await startLocalAccess(s, config);
        onClose(() => local.close());
      }
      const c = new Collector(s, app.log, {
        maxBatchRows: config.collector.batchRows,
        flushIntervalMs: config.collector.flushMs,
        maxQueueRows: config.collector.queueRows,
        maxAttempts: config.collector.writeAttempts,
        window: config.collector.window,
      });
      collector = c;
      registries.push(c.metrics.registry);
      onClose(() => c.shutdown());
      readiness.push({
        name: 'clickhouse',
        check: async () => {
          await s.ping();
          if (c.writer.degraded) throw new Error('ClickHouse refuses writes; retrying');
        },
      });
      const known = hospitals.hospitals.map((h) => h.id);
      await app.register(ingestRoutes, { collector: c, tokens: SenderTokens.fromFile(config.collector.tokensFile), hospitals: known });
      viewers = config.viewer.generated ? ViewerTokens.ensureFile(config.viewer.tokensFile) : ViewerTokens.fromFile(config.viewer.tokensFile);
      await app.register(viewRoutes, { source: s, viewers, hospitals: hospitals.hospitals.map((h) => h.id), products: contractedProducts(hospitals), traceUrl: config.traceUrl });
      app.get('/', async (_request, reply) => reply.redirect('/view/', 302));
      if (config.kafka) {
        const k = new KafkaIngest({ brokers: config.kafka.brokers, topic: config.kafka.topic, collector: c, log: app.log, hospitals: known, sessionTimeoutMs: config.kafka.sessionMs });
        kafka = k;
        onClose(() => k.stop());
        readiness.push({ name: 'kafka', check: () => k.ping() });
        await k.start();
      }
    }

    if (role !== 'collector') {
      const secrets = loadSecrets(config.orchestrator.secretsFile, hospitals.hospitals.map((h) => h.id));
      const sink = orchestratorSink(config, collector, app);
      const dicomPort = options.dicomPort === undefined ? config.dicom.port : options.dicomPort;
      const hl7Port = options.hl7Port === undefined ? (options.port === 0 ? 0 : config.hl7.port) : options.hl7Port;
      const vendorUrls = new Map<ProductId, string>();
      const unknown = Object.keys(config.orchestrator.vendorUrls).filter((p) => !(PRODUCT_IDS as string[]).includes(p));
      if (unknown.length) throw new Error(`AIFI_VENDOR_URLS names unknown products: ${unknown.join(', ')} (known: ${PRODUCT_IDS.join(', ')})`);
      // A simulated vendor only for what some hospital of this deployment bought.
      for (const product of contractedProducts(hospitals)) {
        const configured = config.orchestrator.vendorUrls[product];
        if (configured) {
          vendorUrls.set(product, configured);
          continue;
        }
        const vendor = await startSimulatedVendor(product, { ...DEFAULT_SIMULATED_VENDORS[product], ...options.simulatedVendors?.[product] });
        vendors.set(product, vendor);
        onClose(() => vendor.close());
        vendorUrls.set(product, vendor.url);
      }
      const o = await createOrchestrator({
        hospitals,
        secrets,
        sink,
        log: app.log,
        quietMs: config.orchestrator.quietMs,
        maxStowBytes: config.orchestrator.maxStowBytes,
        stowConcurrency: config.orchestrator.stowConcurrency,
        dicom: dicomPort === null ? null : { host: config.dicom.host, port: dicomPort, aeTitle: config.dicom.aeTitle },
        hl7: hl7Port === null ? null : { host: config.hl7.host, port: hl7Port },
        vendors: vendorUrls,
        inference: { ...config.orchestrator.inference, baseDelayMs: 1_000 },
        delivery: { ...config.orchestrator.delivery, baseDelayMs: 1_000 },
      });
      orchestrator = o;
      onClose(() => o.close());
      await app.register(o.routes);
    }

    const url = await app.listen({ host: config.http.host, port: options.port ?? config.http.port });
    let closing: Promise<void> | null = null;
    return { app, url, store, collector, kafka, orchestrator, vendors, viewers, scrapeToken: scrape.token, close: () => (closing ??= app.close()) };
  } catch (error) {
    await app.close().catch((failure: unknown) => app.log.error({ err: failure }, 'a part of the stack did not close after the start failed'));
    throw error;
  }
}

/** Where the orchestrator's events go: Kafka when configured, a remote collector over HTTP, or the collector in this process. */
function orchestratorSink(config: Config, collector: Collector | null, app: FastifyInstance): EventSink {
  if (config.kafka) return new KafkaSink(config.kafka.brokers, config.kafka.topic, app.log);
  if (config.orchestrator.collector) {
    const { url, token, tls } = config.orchestrator.collector;
    return new HttpSink(url, token, undefined, {
      ca: tls.caFile && readSettingFile(tls.caFile, 'AIFI_COLLECTOR_CA_FILE'),
      cert: tls.certFile && readSettingFile(tls.certFile, 'AIFI_COLLECTOR_CERT_FILE'),
      key: tls.keyFile && readSettingFile(tls.keyFile, 'AIFI_COLLECTOR_KEY_FILE'),
    });
  }
  if (!collector) {
    throw new Error('the orchestrator alone needs somewhere to send events: set AIFI_KAFKA_BROKERS, or AIFI_COLLECTOR_URL and AIFI_COLLECTOR_TOKEN');
  }
  return new InProcessSink(collector, app.log);
}
