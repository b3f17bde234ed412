import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import type { Io } from './index.ts';
import { startStack } from './stack.ts';

export const upHelp = `aifi up [--port N] [--dicom-port N]
                              run the stack in one process on the configured store (what npm start runs)`;

/** Serves the stack until SIGINT or SIGTERM; resolves with the exit code. */
export async function upCommand(config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, 'dicom-port': { type: 'string' } } });
  const stack = await startStack(config, {
    port: values.port === undefined ? undefined : Number(values.port),
    dicomPort: values['dicom-port'] === undefined ? undefined : Number(values['dicom-port']),
  });
  const u = stack.url;
  io.out(
    [
      `store: ${stack.store.kind} ClickHouse at ${stack.store.location}`,
      `listening on ${u}`,
      `  DICOMweb STOW-RS: ${u}/dicomweb/studies  (Authorization: Bearer <hospital token from ${config.orchestrator.secretsFile}>)`,
      `  DICOM C-STORE:    ${config.dicom.aeTitle}@${config.dicom.host}:${stack.orchestrator.dicomPort}`,
      `  health:           ${u}/healthz, ${u}/readyz`,
      `  metrics:          ${u}/metrics`,
      'stop with Ctrl-C',
    ].join('\n'),
  );
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      io.out(`\n${signal}: stopping (finishing open studies and writing what is in flight)`);
      void stack.close().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
