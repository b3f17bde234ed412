import { parseArgs } from 'node:util';
import { loadContracts, publishTurnaround, readReport, runAnalytics, type Contracts } from '../analytics/index.ts';
import { analyticsAlerts, publishAlerts } from '../alerts/index.ts';
import type { Config } from '../config/index.ts';
import { loadHospitals, loadSecrets } from '../orchestrator/index.ts';
import { BACKFILL_SOURCE, LiveSimulation, loadScenario, mondayWeeksAgo, networkOf, shiftScenario } from '../simulator/index.ts';
import { UsageError } from './cli-error.ts';
import type { Io } from './io.ts';
import { backfillInto } from './simulate-command.ts';
import { startStack, type Role } from './stack.ts';

export const upHelp = `aifi up [--port N] [--dicom-port N] [--hl7-port N] [--no-simulate] [--scenario NAME|FILE] [--weeks N] [--seed S] [--acceleration X]
                              run the whole stack in one process (what npm start runs): backfill N weeks
                              (default 12) of the simulated pilot ending this week, then simulate it live
                              through the real interfaces, X times faster than real time (default 120)
aifi collector [--port N]     run only the collector: POST /v1/events, and the Kafka consumer when AIFI_KAFKA_BROKERS is set
aifi orchestrator [--port N] [--dicom-port N] [--hl7-port N]
                              run only the orchestrator, sending events to Kafka or to AIFI_COLLECTOR_URL`;

/** Serves the stack, or one role of it, until SIGINT or SIGTERM; resolves with the exit code. */
export async function serveCommand(role: Role, config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      ...(role === 'collector' ? {} : { 'dicom-port': { type: 'string' }, 'hl7-port': { type: 'string' } }),
      ...(role === 'all'
        ? {
            'no-simulate': { type: 'boolean', default: false },
            scenario: { type: 'string', default: 'stable' },
            weeks: { type: 'string', default: '12' },
            seed: { type: 'string', default: '1' },
            acceleration: { type: 'string', default: '120' },
          }
        : {}),
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  // A bad contracts file stops the start, naming each problem.
  const contracts = loadContracts(config.contractsFile);
  const simulate = role === 'all' && !v['no-simulate'];
  const weeks = Number(v.weeks ?? 12);
  const acceleration = Number(v.acceleration ?? 120);
  if (simulate && (!Number.isInteger(weeks) || weeks < 0 || weeks > 104)) throw new UsageError('--weeks takes a whole number from 0 to 104');
  if (simulate && !(acceleration >= 1 && acceleration <= 100_000)) throw new UsageError('--acceleration takes a number from 1 to 100000');

  let live: LiveSimulation | null = null;
  let hospitals;
  if (simulate) {
    const scenario = shiftScenario(loadScenario(String(v.scenario)), mondayWeeksAgo(weeks));
    live = new LiveSimulation({ scenario, seed: String(v.seed), acceleration, startWeek: weeks, from: Date.now(), log: { warn: () => {} } });
    // The scenario's network (the pilot, or the national one) unless a hospitals file says otherwise.
    hospitals = await live.preparePacs(config.orchestrator.hospitalsFile ? loadHospitals(config.orchestrator.hospitalsFile) : networkOf(scenario).hospitals);
    const stack = await startStack(config, { role, port: portOf(v.port), dicomPort: portOf(v['dicom-port']), hl7Port: portOf(v['hl7-port']), hospitals });
    try {
      const [existing] = await stack.store!.query<{ n: number }>('SELECT count() AS n FROM events WHERE source = {s:String}', { s: BACKFILL_SOURCE });
      if (existing!.n > 0) {
        io.out(`the store already holds a simulated backfill (${existing!.n} events): not adding another`);
      } else if (weeks > 0) {
        const result = await backfillInto(stack.collector!, scenario, String(v.seed), weeks);
        io.out(`backfilled ${weeks} weeks of the simulated pilot (${scenario.name}, from ${scenario.start}): ${result.studies} studies, ${result.events} events`);
      }
      const secrets = loadSecrets(config.orchestrator.secretsFile, hospitals.hospitals.map((h) => h.id));
      const ris = stack.orchestrator!.hl7Port === null ? undefined : { host: config.hl7.host, port: stack.orchestrator!.hl7Port };
      live.start(stack.url, new Map([...secrets].map(([id, s]) => [id, s.token])), stack.vendors, ris);
    } catch (error) {
      await live.stop();
      await stack.close();
      await live.close();
      throw error;
    }
    return serve(stack, config, io, live, acceleration, contracts);
  }
  const stack = await startStack(config, { role, port: portOf(v.port), dicomPort: portOf(v['dicom-port']), hl7Port: portOf(v['hl7-port']) });
  return serve(stack, config, io, null, acceleration, contracts);
}

/** Runs the analytics now and then every `everyMs`, one run at a time; returns the stop. */
function scheduleAnalytics(stack: Awaited<ReturnType<typeof startStack>>, config: Config, io: Io, everyMs: number, contracts: Contracts): () => Promise<void> {
  let running: Promise<void> | null = null;
  const once = () => {
    if (running || !stack.store) return;
    const store = stack.store;
    running = runAnalytics(store, { contracts, settings: config.analytics })
      .then(async (run) => {
        await publishTurnaround(store);
        if (config.alertmanagerUrl) {
          const sent = await publishAlerts(config.alertmanagerUrl, analyticsAlerts(await readReport(store, 'all'), { contracts }), { validForMs: 3 * everyMs });
          io.err(`alerts: ${sent.firing} firing, ${sent.resolved} resolved at ${config.alertmanagerUrl}`);
        }
        return run;
      })
      .then((run) => io.err(`analytics: ${Object.entries(run.rows).map(([t, n]) => `${t} ${n}`).join(', ')} (${run.seconds.toFixed(1)} s)`))
      .catch((error) => io.err(`analytics failed: ${(error as Error).message}`))
      .finally(() => (running = null));
  };
  once();
  const timer = setInterval(once, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

function portOf(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`not a port: ${String(value)}`);
  return port;
}

async function serve(stack: Awaited<ReturnType<typeof startStack>>, config: Config, io: Io, live: LiveSimulation | null, acceleration: number, contracts: Contracts): Promise<number> {
  const u = stack.url;
  const lines = [`listening on ${u}`];
  if (stack.store) lines.unshift(`store: ${stack.store.kind} ClickHouse at ${stack.store.location}`);
  if (config.kafka) lines.unshift(`kafka: ${config.kafka.brokers.join(',')} topic ${config.kafka.topic}`);
  if (stack.orchestrator) {
    lines.push(`  DICOMweb STOW-RS: ${u}/dicomweb/studies  (Authorization: Bearer <hospital token from ${config.orchestrator.secretsFile}>)`);
    if (stack.orchestrator.dicomPort !== null) lines.push(`  DICOM C-STORE:    ${config.dicom.aeTitle}@${config.dicom.host}:${stack.orchestrator.dicomPort}`);
    lines.push(`  usage, verdicts:  ${u}/v1/usage, ${u}/v1/verdicts`);
    if (stack.orchestrator.hl7Port !== null) lines.push(`  RIS reports:      HL7 v2 ORU^R01 by MLLP at ${config.hl7.host}:${stack.orchestrator.hl7Port}; FHIR ${u}/fhir/DiagnosticReport (gateway token)`);
  }
  if (stack.collector) lines.push(`  events in:        ${u}/v1/events  (Authorization: Bearer <token listed in AIFI_COLLECTOR_TOKENS_FILE>)`);
  lines.push(`  health:           ${u}/healthz, ${u}/readyz`, `  metrics:          ${u}/metrics  (Authorization: Bearer <scrape token in ${config.metrics.tokenFile}>)`);
  if (stack.viewers) {
    const token = stack.viewers.tokenOf('all');
    lines.push(`  dashboards:       ${u}/view/${token ? `?token=${token}` : ''}  (a token per audience in ${config.viewer.tokensFile})`);
  }
  if (stack.store) lines.push(`  the data:         npx aifi query "SELECT type, count() FROM events GROUP BY type"${stack.store.kind === 'embedded' ? ' (answered by this process while it runs)' : ''}`);
  if (stack.store) lines.push('  analytics:        now and every 5 minutes; read them with npx aifi report [--audience lead|ops|vendor:<vendor>]');
  if (stack.store && config.alertmanagerUrl) lines.push(`  alerts:           to ${config.alertmanagerUrl} after each analytics run`);
  if (live) lines.push(`simulating the pilot live at ${acceleration}x: studies arrive by STOW-RS, results go to a simulated PACS per hospital, reports come from a simulated RIS by MLLP`);
  lines.push('stop with Ctrl-C');
  io.out(lines.join('\n'));
  const status = live
    ? setInterval(() => {
        const s = live.stats;
        io.err(`live: ${s.sent} studies sent, ${s.results} results in the PACS, ${s.views} views, ${s.verdicts} verdicts, ${s.reports} reports${s.failed ? `, ${s.failed} failed to send` : ''}`);
      }, 30_000)
    : null;
  status?.unref();
  const stopAnalytics = stack.store ? scheduleAnalytics(stack, config, io, 5 * 60_000, contracts) : async () => {};
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (status) clearInterval(status);
      io.out(`\n${signal}: stopping (finishing open studies and writing what is in flight)`);
      void (async () => {
        await live?.stop();
        await stopAnalytics();
        await stack.close();
        await live?.close();
        resolve(0);
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
