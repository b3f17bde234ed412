import { overPeriods, type PanelSpec } from './panels.ts';

/**
 * Cost beside adoption on the project leads' dashboard, from the cost results
 * per hospital x product x month (`filter` is the dashboard's hospital and
 * product selection). A month is in the range when its first day is; the
 * latest month may be unfinished (a licence month is booked whole while its
 * results are still being looked at), so it is drawn apart.
 */
export function costPanels(filter: string): PanelSpec[] {
  return [
    {
      title: 'Cost per used result',
      description:
        'Per product over the chosen hospitals (the network by default): its cost under the joint contracts in the month divided by the results viewed that month, in euros; the unfinished month is a hollow point',
      kind: 'timeseries',
      unit: 'suffix: €',
      ...overPeriods(
        `SELECT toDateTime(month) AS time, toDateTime(addMonths(month, 1)) AS period_end, product AS series,
                if(sum(viewed) = 0, NULL, sum(joint_cents) / 100 / sum(viewed)) AS eur_per_used
         FROM cost_monthly FINAL WHERE $__timeFilter(month) AND product != '' AND ${filter} GROUP BY time, period_end, series`,
        ['eur_per_used'],
      ),
    },
    {
      title: 'Cost beside use, hospital × product',
      description:
        'Over the months of the time range: the cost under the joint contracts and what the hospital would pay alone, the studies inferred, the results viewed and their share, and the cost per used result, dearest first: a product paid for and little used is on top',
      kind: 'table',
      columnUnits: { cost: 'suffix: €', alone: 'suffix: €', saving: 'suffix: €', used_share: 'percentunit', per_used: 'suffix: €' },
      thresholds: { column: 'used_share', base: 'red', steps: [{ value: 0.5, color: 'amber' }, { value: 0.7, color: 'green' }] },
      sql: `SELECT hospital, product, sum(joint_cents) / 100 AS cost, sum(alone_cents) / 100 AS alone, alone - cost AS saving,
                   sum(inferred) AS studies, sum(viewed) AS used, if(studies = 0, NULL, used / studies) AS used_share, if(used = 0, NULL, cost / used) AS per_used
            FROM cost_monthly FINAL WHERE $__timeFilter(month) AND product != '' AND ${filter}
            GROUP BY hospital, product ORDER BY used = 0 AND cost > 0 DESC, per_used DESC, hospital, product LIMIT 100`,
      columns: ['hospital', 'product', 'cost', 'alone', 'saving', 'studies', 'used', 'used_share', 'per_used'],
    },
  ];
}
