import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import type { Io } from './index.ts';
import { startStack, type Role } from './stack.ts';

export const upHelp = `aifi up [--port N] [--dicom-port N]
                              run the whole stack in one process (what npm start runs)
aifi collector [--port N]     run only the collector: POST /v1/events, and the Kafka consumer when AIFI_KAFKA_BROKERS is set
aifi orchestrator [--port N] [--dicom-port N]
                              run only the orchestrator, sending events to Kafka or to AIFI_COLLECTOR_URL`;

/** Serves the stack, or one role of it, until SIGINT or SIGTERM; resolves with the exit code. */
export async function serveCommand(role: Role, config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, ...(role === 'collector' ? {} : { 'dicom-port': { type: 'string' } }) },
  });
  const dicomPort = (values as { 'dicom-port'?: string })['dicom-port'];
  const stack = await startStack(config, {
    role,
    port: values.port === undefined ? undefined : Number(values.port),
    dicomPort: dicomPort === undefined ? undefined : Number(dicomPort),
  });
  const u = stack.url;
  const lines = [`listening on ${u}`];
  if (stack.store) lines.unshift(`store: ${stack.store.kind} ClickHouse at ${stack.store.location}`);
  if (config.kafka) lines.unshift(`kafka: ${config.kafka.brokers.join(',')} topic ${config.kafka.topic}`);
  if (stack.orchestrator) {
    lines.push(`  DICOMweb STOW-RS: ${u}/dicomweb/studies  (Authorization: Bearer <hospital token from ${config.orchestrator.secretsFile}>)`);
    if (stack.orchestrator.dicomPort !== null) lines.push(`  DICOM C-STORE:    ${config.dicom.aeTitle}@${config.dicom.host}:${stack.orchestrator.dicomPort}`);
  }
  if (stack.collector) lines.push(`  events in:        ${u}/v1/events  (Authorization: Bearer <token listed in AIFI_COLLECTOR_TOKENS_FILE>)`);
  lines.push(`  health:           ${u}/healthz, ${u}/readyz`, `  metrics:          ${u}/metrics`, 'stop with Ctrl-C');
  io.out(lines.join('\n'));
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      io.out(`\n${signal}: stopping (finishing open studies and writing what is in flight)`);
      void stack.close().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
