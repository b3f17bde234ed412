import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TRACE_URL, TRACE_URL_RULE, type Config } from '../config/index.ts';
import { writeDashboards } from '../dashboards/index.ts';
import { contractedProducts, loadHospitals } from '../orchestrator/index.ts';
import { UsageError } from './cli-error.ts';
import type { Io } from './io.ts';

export const dashboardsHelp = `aifi dashboards generate [--out DIR] [--clickhouse-host H] [--prometheus-url URL] [--trace-url URL]
                              write the Grafana dashboards and provisioning files (default ./deploy/grafana)
                              for the hospitals of AIFI_HOSPITALS_FILE (default the pilot);
                              --trace-url (default AIFI_TRACE_URL) links each breach to its trace, e.g.
                              http://jaeger:16686/trace/{trace_id}`;

export function dashboardsCommand(args: string[], io: Io, config: Config): number {
  const [what, ...rest] = args;
  if (what !== 'generate') throw new UsageError("dashboards needs 'generate'");
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string', default: 'deploy/grafana' }, 'clickhouse-host': { type: 'string' }, 'prometheus-url': { type: 'string' }, 'trace-url': { type: 'string' } } });
  const trace = values['trace-url'] ?? config.traceUrl;
  if (trace && !TRACE_URL.test(trace)) throw new UsageError(`--trace-url ${TRACE_URL_RULE}`);
  const file = loadHospitals(config.orchestrator.hospitalsFile);
  const hospitals = file.hospitals.map((h) => h.id);
  const written = writeDashboards(values.out, { hospitals, products: contractedProducts(file), clickhouseUrl: values['clickhouse-host'], prometheusUrl: values['prometheus-url'], traceUrl: trace });
  io.out(`wrote ${written.length} files to ${resolve(values.out)}:\n${written.map((w) => `  ${w}`).join('\n')}`);
  return 0;
}
