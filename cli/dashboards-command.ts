import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDashboards } from '../dashboards/index.ts';
import { UsageError } from './cli-error.ts';
import type { Io } from './index.ts';

export const dashboardsHelp = `aifi dashboards generate [--out DIR] [--clickhouse-host H] [--prometheus-url URL]
                              write the Grafana dashboards and provisioning files (default ./deploy/grafana)`;

export function dashboardsCommand(args: string[], io: Io): number {
  const [what, ...rest] = args;
  if (what !== 'generate') throw new UsageError("dashboards needs 'generate'");
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string', default: 'deploy/grafana' }, 'clickhouse-host': { type: 'string' }, 'prometheus-url': { type: 'string' } } });
  const written = writeDashboards(values.out, { clickhouseUrl: values['clickhouse-host'], prometheusUrl: values['prometheus-url'] });
  io.out(`wrote ${written.length} files to ${resolve(values.out)}:\n${written.map((w) => `  ${w}`).join('\n')}`);
  return 0;
}
