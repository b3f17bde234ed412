import { parseArgs } from 'node:util';
import { loadContracts, parseAudience, readReport, runAnalytics, type Report } from '../analytics/index.ts';
import type { Config } from '../config/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { UsageError } from './cli-error.ts';
import type { Io } from './io.ts';
import { reportThroughRunning } from './local-access.ts';

export const analyticsHelp = `aifi analytics run [--rebuild] [--rebuild-cases]
                              compute adoption, turnaround, availability, performance, drift and cost: only what events
                              ingested since the last run changed; --rebuild: every result from the per-study rows;
                              --rebuild-cases: the per-study rows too, from the lifecycle
aifi report [--format table|json] [--audience lead|ops|vendor:<vendor>]
                              print the current results (a vendor sees only its own products); while aifi up
                              runs, as that process reads them`;

export async function analyticsCommand(config: Config, args: string[], io: Io): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'run') throw new UsageError("analytics needs 'run'");
  const { values } = parseArgs({ args: rest, options: { rebuild: { type: 'boolean', default: false }, 'rebuild-cases': { type: 'boolean', default: false } } });
  const contracts = loadContracts(config.contractsFile);
  const store = await openStore(config.store);
  try {
    await migrate(store);
    const run = await runAnalytics(store, { contracts, settings: config.analytics, rebuild: values.rebuild, rebuildCases: values['rebuild-cases'], progress: (step, done, total) => io.err(`\r${step}: ${done} / ${total} hospitals`) });
    io.out(`analytics (${run.mode}, ${run.studies} studies refreshed) in ${run.seconds.toFixed(1)} s: ${Object.entries(run.rows).map(([t, n]) => `${t} ${n}`).join(', ')}`);
  } finally {
    await store.close();
  }
  return 0;
}

/** A plain text table of rows, columns in the order of the first row. */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '  (none)';
  const columns = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'yes' : '') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => '  ' + values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

export function formatReport(report: Report): string {
  const parts: string[] = [];
  const latestWeek = report.adoption.reduce((m, r) => (String(r.week) > m ? String(r.week) : m), '');
  if (report.adoption.length) parts.push(`Adoption, week of ${latestWeek} (viewed / eligible, 95 % Wilson interval)\n${table(report.adoption.filter((r) => r.week === latestWeek))}`);
  if (report.users.length) parts.push(`Readers who looked at AI in at least 70 % of their cases (readers with 5 or more verdicts)\n${table(report.users)}`);
  if (report.turnaround.length) parts.push(`Turnaround: acquisition to result, minutes\n${table(report.turnaround)}`);
  if (report.availability.length) {
    const worst = [...report.availability].sort((a, b) => Number(a.uptime) - Number(b.uptime)).slice(0, 10);
    parts.push(`Availability: the ten worst gateway days\n${table(worst)}`);
  }
  if (report.performance.length) parts.push(`Clinical performance, whole window\n${table(report.performance.filter((r) => r.subgroup === 'all' && r.hospital !== '' && r.window_start === report.performance[0]!.window_start))}`);
  if (report.drift.length) {
    const heading = 'Drift monitors (baseline: the observed reference value, with its 95 % interval; chart_baseline: the value the charts are tuned from; statistic and peak in units of the threshold; arl_days: in-control run length at the reference; delays in days for falls of 0.05, 0.10, 0.20)';
    parts.push(`${heading}\n${table(report.drift)}`);
  }
  if (report.episodes.length) parts.push(`Drift episodes (onset: where the signalling chart last stood at zero; closed empty while open)\n${table(report.episodes)}`);
  const lastYear = report.cost.reduce((m, r) => (String(r.contract_year) > m ? String(r.contract_year) : m), '');
  if (report.cost.length) {
    const rows = report.cost.filter((r) => r.contract_year === lastYear).map(({ hospital, product, months, complete, inferred, viewed, joint_eur, alone_eur, saving_eur, tier, eur_per_study, eur_per_used }) => ({ hospital, product: product || '(platform, implementation)', months, complete, inferred, viewed, joint_eur, alone_eur, saving_eur, tier, eur_per_study, eur_per_used }));
    parts.push(`Cost, contract year from ${lastYear} (jointly, alone, the saving; per study and per used result)\n${table(rows)}`);
  }
  const benefit = report.benefit.filter((r) => r.urgency === '' && r.comparison === 'viewed');
  if (benefit.length) {
    parts.push(
      'Measured benefit: minutes from acquisition to the final report, AI result viewed before signing (a) against not (b); difference a - b, Hodges-Lehmann with 95 % interval\n' +
        table(benefit.map(({ urgency: _u, comparison: _c, ...r }) => r)),
    );
  }
  if (report.report_agreement.length) parts.push(`The report's coded finding against the AI's (agreement, 95 % Wilson interval)\n${table(report.report_agreement)}`);
  return parts.join('\n\n') || 'no results yet: run `aifi analytics run` after data has arrived';
}

export async function reportCommand(config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string', default: 'table' }, audience: { type: 'string', default: 'all' } } });
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format takes table or json');
  let audience;
  try {
    audience = parseAudience(values.audience);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const print = (report: Report) => io.out(values.format === 'json' ? JSON.stringify(report, null, 2) : formatReport(report));
  const served = await reportThroughRunning(config, audience);
  if (served) {
    print(served);
    return 0;
  }
  const store = await openStore(config.store, { readonly: true });
  try {
    print(await readReport(store, audience));
  } finally {
    await store.close();
  }
  return 0;
}
