import { PRODUCT_IDS, productsOfVendor, VENDOR_IDS } from '../events/index.ts';
import type { Store } from '../store/index.ts';

export type Audience = 'all' | 'lead' | 'ops' | `vendor:${string}`;

export interface Report {
  audience: Audience;
  adoption: Record<string, unknown>[];
  /** Per hospital x product: readers with at least 5 verdicted cases, and how many looked at AI in at least 70 % of them. */
  users: Record<string, unknown>[];
  turnaround: Record<string, unknown>[];
  availability: Record<string, unknown>[];
  performance: Record<string, unknown>[];
  drift: Record<string, unknown>[];
  /** Per hospital x product x contract year, in euros: the cost jointly and alone, the saving, per study and per used result (product '' is the hospital's platform share and implementation). */
  cost: Record<string, unknown>[];
  /** Per hospital x product x urgency ('' = all) x comparison: the measured benefit on the time to the final report. */
  benefit: Record<string, unknown>[];
  /** Per hospital x product: the report's coded finding against the AI's. */
  report_agreement: Record<string, unknown>[];
  /** The alarm episodes of the sensitivity and specificity monitors, newest first: `closed` null while open. */
  episodes: Record<string, unknown>[];
}

export function parseAudience(text: string): Audience {
  if (text === 'all' || text === 'lead' || text === 'ops') return text;
  const m = /^vendor:([a-z0-9-]+)$/.exec(text);
  if (m && productsOfVendor(m[1]!).length > 0) return `vendor:${m[1]}`;
  throw new Error(`unknown audience ${JSON.stringify(text)}: use all, lead, ops or vendor:<vendor> (vendors: ${VENDOR_IDS.join(', ')})`);
}

const SECTIONS: Record<Exclude<Audience, `vendor:${string}`> | 'vendor', (keyof Omit<Report, 'audience'>)[]> = {
  all: ['adoption', 'users', 'turnaround', 'availability', 'performance', 'drift', 'episodes', 'cost', 'benefit', 'report_agreement'],
  lead: ['adoption', 'users', 'cost', 'benefit', 'report_agreement'],
  ops: ['turnaround', 'availability'],
  vendor: ['performance', 'drift', 'episodes'],
};

/**
 * The current results for an audience, read from the result tables. A vendor
 * gets only its own products: the filter is in the query, not in the page.
 */
export async function readReport(store: Store, audience: Audience = 'all'): Promise<Report> {
  const vendor = audience.startsWith('vendor:') ? audience.slice(7) : null;
  const products = vendor ? productsOfVendor(vendor) : [...PRODUCT_IDS];
  const sections = SECTIONS[vendor ? 'vendor' : (audience as keyof typeof SECTIONS)];
  const p = { products };
  const want = (s: keyof Omit<Report, 'audience'>) => sections.includes(s);
  const report: Report = { audience, adoption: [], users: [], turnaround: [], availability: [], performance: [], drift: [], episodes: [], cost: [], benefit: [], report_agreement: [] };
  if (want('adoption')) {
    report.adoption = await store.query(
      `SELECT hospital, product, toString(week) AS week, eligible, inferred, delivered, viewed, verdicts, round(rate, 4) AS rate, round(ci_low, 4) AS ci_low, round(ci_high, 4) AS ci_high,
              round(if(inferred = 0, 0, delivered / inferred), 4) AS pacs_coverage
       FROM adoption_weekly FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product, week`,
      p,
    );
  }
  if (want('users')) {
    report.users = await store.query(
      `SELECT hospital, product, count() AS readers, countIf(share >= 0.7) AS readers_at_70, round(readers_at_70 / readers, 4) AS share_at_70
       FROM user_usage FINAL WHERE cases >= 5 AND product IN {products:Array(String)} GROUP BY hospital, product ORDER BY hospital, product`,
      p,
    );
  }
  if (want('turnaround')) {
    report.turnaround = await store.query(
      `SELECT hospital, product, urgency, send_mode, n, excluded, implausible, round(p50_min, 1) AS p50_min, round(p90_min, 1) AS p90_min, round(p95_min, 1) AS p95_min, norm_min, round(within_norm, 4) AS within_norm
       FROM turnaround FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product, urgency, send_mode`,
      p,
    );
  }
  if (want('availability')) {
    report.availability = await store.query(
      `SELECT hospital, component, toString(day) AS day, heartbeats, round(uptime, 4) AS uptime, target FROM availability_daily FINAL ORDER BY hospital, component, day`,
    );
  }
  if (want('performance')) {
    report.performance = await store.query(
      `SELECT hospital, product, model_version, metric, subgroup, toString(window_start) AS window_start, toString(window_end) AS window_end, n,
              round(value, 4) AS value, round(ci_low, 4) AS ci_low, round(ci_high, 4) AS ci_high, small_cell = 1 AS small_cell
       FROM performance FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product, model_version, metric, subgroup, window_start`,
      p,
    );
  }
  if (want('drift')) {
    report.drift = await store.query(
      `SELECT hospital, product, model_version, metric, round(baseline, 4) AS baseline, round(baseline_low, 4) AS baseline_low, round(baseline_high, 4) AS baseline_high,
              round(chart_baseline, 4) AS chart_baseline, baseline_n, n, round(statistic, 3) AS statistic, round(threshold, 3) AS threshold,
              status, if(since IS NULL, NULL, toString(since)) AS since, if(onset IS NULL, NULL, toString(onset)) AS onset, round(peak, 3) AS peak,
              round(arl_days) AS arl_days, round(delay_005_days, 1) AS delay_005_days, round(expected_delay_days, 1) AS expected_delay_days,
              round(delay_020_days, 1) AS delay_020_days, round(min_detectable, 4) AS min_detectable
       FROM drift FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product, model_version, metric`,
      p,
    );
  }
  if (want('cost')) report.cost = await store.query(COST_REPORT, p);
  if (want('benefit')) {
    report.benefit = await store.query(
      `SELECT hospital, product, urgency, comparison, n_a, n_b, median_a_min, median_b_min, difference_min, ci_low_min, ci_high_min,
              case_mix_caution, unreported, excluded, small_cell = 1 AS small_cell
       FROM benefit FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product, comparison, urgency`,
      p,
    );
  }
  if (want('report_agreement')) {
    report.report_agreement = await store.query(
      `SELECT hospital, product, concept, coded, both_positive, ai_only, report_only, both_negative, round(agreement, 4) AS agreement, round(ci_low, 4) AS ci_low, round(ci_high, 4) AS ci_high,
              small_cell = 1 AS small_cell
       FROM report_agreement FINAL WHERE product IN {products:Array(String)} ORDER BY hospital, product`,
      p,
    );
  }
  if (want('episodes')) {
    report.episodes = await store.query(
      `SELECT hospital, product, model_version, metric, toString(onset) AS onset, toString(first_signal) AS first_signal, if(closed IS NULL, NULL, toString(closed)) AS closed,
              shift, round(peak, 2) AS peak, cases, failures
       FROM drift_episodes FINAL WHERE product IN {products:Array(String)} ORDER BY first_signal DESC, hospital, product, model_version, metric`,
      p,
    );
  }
  return report;
}

/**
 * Cost per hospital x product x contract year; a vendor never sees it. The
 * `whole_` columns count only the months before the latest (which may be
 * unfinished: a licence's month is booked whole while its views are still coming).
 */
export const COST_REPORT = `
SELECT hospital, product, toString(contract_year) AS contract_year, months, complete = 1 AS complete, inferred, viewed,
       joint_cents / 100 AS joint_eur, alone_cents / 100 AS alone_eur, (alone_cents - joint_cents) / 100 AS saving_eur, invoice_cents / 100 AS invoice_eur,
       tier, alone_tier,
       if(inferred = 0, NULL, round(joint_cents / inferred / 100, 2)) AS eur_per_study,
       if(viewed = 0, NULL, round(joint_cents / viewed / 100, 2)) AS eur_per_used,
       w.months AS whole_months, w.joint / 100 AS whole_joint_eur, w.viewed AS whole_viewed
FROM cost_yearly AS y FINAL
LEFT JOIN
(
    SELECT hospital, product, contract_year, count() AS months, sum(joint_cents) AS joint, sum(viewed) AS viewed
    FROM cost_monthly FINAL
    WHERE month < (SELECT max(month) FROM cost_monthly FINAL)
    GROUP BY hospital, product, contract_year
) AS w ON w.hospital = y.hospital AND w.product = y.product AND w.contract_year = y.contract_year
WHERE y.product IN {products:Array(String)} OR y.product = ''
ORDER BY contract_year, hospital, product`;
