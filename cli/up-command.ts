import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Config } from '../config/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import type { Io } from './index.ts';

export const upHelp = `aifi up [--port N]            run the stack in one process on the configured store (what npm start runs)`;

/** Serves the stack on one HTTP port until SIGINT or SIGTERM; resolves with the exit code. */
export async function upCommand(config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const port = values.port === undefined ? config.http.port : Number(values.port);
  const store: Store = await openStore(config.store);
  const report = await migrate(store);
  io.out(`store: ${store.kind} ClickHouse at ${store.location}, schema version ${report.current}`);

  collectDefaultMetrics();
  const app = Fastify({ logger: { level: config.logLevel } });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', store: store.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });
  app.get('/metrics', async (_request, reply) => reply.type(register.contentType).send(await register.metrics()));
  const address = await app.listen({ host: config.http.host, port });
  io.out(`listening on ${address}\n  health:  ${address}/healthz\n  metrics: ${address}/metrics\nstop with Ctrl-C`);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.out(`\n${signal}: stopping`);
      await app.close();
      await store.close();
      resolve(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}
