import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { loadSecrets, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { LiveSimulation, loadScenario, type Truth } from '../simulator/index.ts';
import { productsOfVendor } from '../events/index.ts';
import { tempDir, waitFor } from '../testing/index.ts';
import { aifiHere } from './aifi-here.ts';
import { startStack } from './index.ts';

describe('the live simulation, through the real interfaces', () => {
  it('sends studies by STOW-RS, gets results into its PACS, reports views and verdicts, and sends the RIS reports by MLLP', async () => {
    const dir = tempDir('live');
    // The collector flushes every 50 ms (1 s by default): a report is acknowledged once its event is stored,
    // and the RIS sends one report at a time, so the flush interval paces the reports.
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_STUDY_QUIET_MS: '50', AIFI_COLLECTOR_FLUSH_MS: '50', AIFI_LOG_LEVEL: 'silent' });
    const live = new LiveSimulation({ scenario: loadScenario('stable'), seed: 'live', acceleration: 20_000, startWeek: 0, maxStudies: 40, log: { warn: () => {} } });
    const hospitals = await live.preparePacs(PILOT_HOSPITALS);
    const stack = await startStack(config, { port: 0, dicomPort: null, hospitals });
    try {
      const secrets = loadSecrets(config.orchestrator.secretsFile, hospitals.hospitals.map((h) => h.id));
      live.start(stack.url, new Map([...secrets].map(([id, s]) => [id, s.token])), stack.vendors, { host: '127.0.0.1', port: stack.orchestrator.hl7Port! });
      await waitFor('40 studies sent', () => live.finished && live.stats.sent + live.stats.failed === 40, 60_000);
      expect(live.stats.failed).toBe(0);
      await waitFor('results, views, verdicts and reports', () => live.stats.results > 5 && live.stats.views > 0 && live.stats.verdicts > 0 && live.stats.reports > 0, 60_000);
      await live.stop();
      const counts = await waitFor('the events in ClickHouse', async () => {
        const rows = await stack.store.query<{ type: string; n: number }>("SELECT type, uniqExact(event_id) AS n FROM events WHERE source = 'orchestrator' GROUP BY type");
        const byType = Object.fromEntries(rows.map((r) => [r.type, r.n]));
        // Events are counted once per id: a sender that repeats one (a report resent after a slow answer) makes a second row of the same event until the merge.
        // Each result the PACS took is recorded once the orchestrator has its acknowledgement: wait for those too.
        return byType['study.received'] === 40 && byType['verdict.recorded'] === live.stats.verdicts && (byType['result.delivered'] ?? 0) >= live.stats.results && byType;
      }, 30_000);
      expect(counts['result.delivered']).toBeGreaterThanOrEqual(live.stats.results);
      expect(counts['result.viewed']).toBe(live.stats.views);
      // Every report acknowledged AA is stored, and finds its study by the accession number's pseudonym.
      expect(counts['report.signed']).toBe(live.stats.reports);
      const [matched] = await stack.store.query<{ reports: number; matched: number }>(
        'SELECT uniqExact(r.accession_key) AS reports, uniqExactIf(r.accession_key, a.study_key != \'\') AS matched FROM reports AS r LEFT JOIN study_accessions AS a USING (hospital, accession_key)',
      );
      expect(Number(matched!.reports)).toBeGreaterThan(0);
      expect(Number(matched!.matched)).toBe(Number(matched!.reports));
      // Acquisitions are on the same clock as the receipts: before them, by the planned minutes, never after.
      const [clock] = await stack.store.query<{ missing: number; after: number; longest_min: number }>(
        "SELECT countIf(acquired_at IS NULL) AS missing, countIf(acquired_at > occurred_at) AS after, max(dateDiff('second', acquired_at, occurred_at)) / 60 AS longest_min FROM events WHERE type = 'study.received'",
      );
      expect(clock).toMatchObject({ missing: 0, after: 0 });
      expect(clock!.longest_min).toBeLessThan(24 * 60);
    } finally {
      await live.stop();
      await stack.close();
      await live.close();
      dir.remove();
    }
  });
});

describe('aifi simulate', () => {
  it('backfills a scenario with a progress report and writes the truth', async () => {
    const dir = tempDir('simulate');
    const truthFile = join(dir.path, 'truth.json');
    const result = spawnSync(process.execPath, ['bin/aifi.mjs', 'simulate', '--scenario', 'drift', '--weeks', '2', '--seed', '9', '--truth-out', truthFile], {
      encoding: 'utf8',
      env: { ...process.env, AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/backfill drift: 2\/2 weeks/);
    const line = /drift: 2 weeks from 2026-01-05, seed 9: (\d+) studies, (\d+) events/.exec(result.stdout);
    expect(line).not.toBeNull();
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Truth;
    expect(truth).toMatchObject({ scenario: 'drift', seed: '9', weeks: 2 });
    // A cell for each product each pilot hospital contracts, in each of the two weeks (a study of the last days may complete in the week after).
    const pairs = PILOT_HOSPITALS.hospitals.flatMap((h) => Object.entries(h.products).filter(([, c]) => c !== undefined).map(([p]) => `${h.id}|${p}`)).sort();
    expect(pairs.length).toBeGreaterThan(0);
    expect([...new Set(truth.rates.map((r) => `${r.hospital}|${r.product}`))].sort()).toEqual(pairs);
    for (const pair of pairs) expect(truth.rates.filter((r) => `${r.hospital}|${r.product}` === pair).map((r) => r.week).slice(0, 2), pair).toEqual(['2026-01-05', '2026-01-12']);
    expect(truth.rates.every((r) => ['2026-01-05', '2026-01-12', '2026-01-19'].includes(r.week))).toBe(true);
    const eligible = truth.rates.reduce((s, r) => s + r.eligible, 0);
    expect(eligible).toBeLessThan(Number(line![1]));
    // The commands after it in this process: a process of its own for each would check nothing more.
    const aifi = (...args: string[]) => aifiHere(args, { AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' });
    const query = await aifi('query', 'SELECT count() FROM events FINAL', '--format', 'TSV');
    expect(Number(query.out.trim())).toBe(Number(line![2]));
    const analytics = await aifi('analytics', 'run');
    expect(analytics.code, analytics.err).toBe(0);
    expect(analytics.out).toMatch(/^analytics \(rebuild, \d+ studies refreshed\) in [\d.]+ s: adoption_weekly \d+, user_usage_weekly \d+, user_usage \d+, turnaround_weekly \d+, turnaround \d+, data_quality_weekly \d+, availability_daily \d+, performance_cells \d+, performance \d+, drift_cells \d+, drift_checkpoints \d+, drift_label_free_checkpoints \d+, drift \d+, drift_episodes \d+, cost_cells \d+, cost_monthly \d+, cost_yearly \d+, benefit_weeks \d+, benefit_live \d+, benefit_cells \d+, benefit \d+, report_agreement \d+$/m);
    // Run again with nothing new: an incremental run (it looks a minute back past its watermark, so it may count recent studies again).
    const again = await aifi('analytics', 'run');
    expect(again.out).toMatch(/^analytics \(incremental, \d+ studies refreshed\)/m);
    const report = await aifi('report', '--format', 'json', '--audience', 'vendor:avicenna');
    const json = JSON.parse(report.out) as Record<string, { product?: string }[]>;
    // A vendor's report has data in its own sections only; every other section is there, and empty.
    const withData = Object.entries(json).filter(([k, v]) => k !== 'audience' && Array.isArray(v) && v.length > 0).map(([k]) => k);
    expect(withData.every((k) => ['performance', 'drift', 'episodes'].includes(k)), withData.join(', ')).toBe(true);
    // Its rows are the whole report's rows of its products in those sections, none left out and none added.
    const whole = JSON.parse((await aifi('report', '--format', 'json', '--audience', 'all')).out) as typeof json;
    const sections = [...new Set([...Object.keys(whole), ...Object.keys(json)])].filter((k) => k !== 'audience');
    expect(sections.sort()).toEqual(['adoption', 'availability', 'benefit', 'cost', 'drift', 'episodes', 'performance', 'report_agreement', 'turnaround', 'users']);
    for (const k of sections) {
      const own = ['performance', 'drift', 'episodes'].includes(k) ? whole[k]!.filter((r) => productsOfVendor('avicenna').includes(r.product as never)) : [];
      expect(json[k], k).toEqual(own);
    }
    expect(whole.performance!.length).toBeGreaterThan(json.performance!.length);
    expect(json.performance!.length).toBeGreaterThan(0);
    expect(new Set([...json.performance!, ...json.drift!].map((r) => r.product))).toEqual(new Set(['cina-ipe']));
    expect(json.availability).toEqual([]);
    const wrongAudience = await aifi('report', '--audience', 'vendor:nobody');
    expect(wrongAudience.code).toBe(2);
    const bad = await aifi('simulate', '--weeks', 'many');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--weeks takes a whole number/);
    dir.remove();
  });

  it('bulk-loads the national network with --bulk, and a repeat changes nothing', async () => {
    const dir = tempDir('simulate-bulk');
    const env = { ...process.env, AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' };
    const args = ['bin/aifi.mjs', 'simulate', '--scenario', 'national', '--weeks', '1', '--volume-factor', '0.01', '--bulk', '--seed', '4'];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/bulk national: 100\/100 %/);
    const line = /national: 1 weeks from 2026-01-05, seed 4: (\d+) studies, (\d+) events in [\d.]+ s \(\d+ events\/s, \d+ workers\)/.exec(result.stdout);
    expect(line, result.stdout).not.toBeNull();
    // The repeat and the checks after it in this process: a process of its own for each would check nothing more.
    const aifi = (...more: string[]) => aifiHere(more, { AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' });
    const repeat = await aifi(...args.slice(1));
    expect(repeat.code, repeat.err).toBe(0);
    const query = await aifi('query', 'SELECT count() FROM events FINAL', '--format', 'TSV');
    expect(Number(query.out.trim())).toBe(Number(line![2]));
    const bad = await aifi('simulate', '--workers', '2');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--workers goes with --bulk/);
    dir.remove();
  });
});
