import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, register } from 'prom-client';
import { Collector, QueueFullError } from '../collector/index.ts';
import type { Config } from '../config/index.ts';
import { callbackSink, createOrchestrator, HttpSink, loadHospitals, loadSecrets, SinkError, type EventSink, type Orchestrator } from '../orchestrator/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';

export interface Stack {
  app: FastifyInstance;
  /** http://host:port of the HTTP endpoints. */
  url: string;
  store: Store;
  collector: Collector;
  orchestrator: Orchestrator;
  /** Stops intake first, then hands over and writes what is in flight, then closes the store. */
  close: () => Promise<void>;
}

let defaultMetrics = false;

/** The whole stack in one process (the embedded mode): store, collector, orchestrator, one HTTP port, the DICOM receiver. */
export async function startStack(config: Config, options: { port?: number; dicomPort?: number | null } = {}): Promise<Stack> {
  const store = await openStore(config.store);
  try {
    await migrate(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  if (!defaultMetrics) {
    collectDefaultMetrics();
    defaultMetrics = true;
  }
  const app = Fastify({ logger: { level: config.logLevel }, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 16 * 1024 * 1024 });
  const collector = new Collector(store, app.log);
  const hospitals = loadHospitals(config.orchestrator.hospitalsFile);
  const secrets = loadSecrets(config.orchestrator.secretsFile, hospitals.hospitals.map((h) => h.id));
  const sink: EventSink = config.orchestrator.collector
    ? new HttpSink(config.orchestrator.collector.url, config.orchestrator.collector.token)
    : callbackSink('in-process', async (events) => {
        try {
          await collector.acceptAndStore(events);
        } catch (error) {
          if (error instanceof QueueFullError) throw new SinkError(error.message, true);
          throw new SinkError((error as Error).message, (error as { retryable?: boolean }).retryable ?? false);
        }
      });
  const dicomPort = options.dicomPort === undefined ? config.dicom.port : options.dicomPort;
  const orchestrator = await createOrchestrator({
    hospitals,
    secrets,
    sink,
    log: app.log,
    quietMs: config.orchestrator.quietMs,
    maxStowBytes: config.orchestrator.maxStowBytes,
    dicom: dicomPort === null ? null : { host: config.dicom.host, port: dicomPort, aeTitle: config.dicom.aeTitle },
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await store.ping();
      if (collector.writer.degraded) return reply.code(503).send({ status: 'degraded', reason: 'ClickHouse refuses writes; retrying' });
      return { status: 'ready', store: store.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });
  app.get('/metrics', async (_request, reply) => reply.type(register.contentType).send(await register.metrics()));
  await app.register(orchestrator.routes);

  let url: string;
  try {
    url = await app.listen({ host: config.http.host, port: options.port ?? config.http.port });
  } catch (error) {
    await orchestrator.close();
    await collector.shutdown();
    await store.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    url,
    store,
    collector,
    orchestrator,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await orchestrator.close();
        await collector.shutdown();
        await store.close();
      })()),
  };
}
