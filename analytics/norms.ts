import type { ProductId } from '../events/index.ts';

/**
 * Norm times for the time to result (acquisition to result in the PACS), in
 * minutes, per product and urgency. These are assumptions of this project, not
 * the pilot's contractual norms: acute fracture care wants a result before the
 * patient leaves the X-ray room; bone age and incidental findings can wait for
 * the report. Configurable through analytics options.
 */
export const DEFAULT_NORMS_MIN: Record<ProductId, { acute: number; routine: number }> = {
  bonexpert: { acute: 60, routine: 60 },
  rbfracture: { acute: 15, routine: 60 },
  'cina-ipe': { acute: 60, routine: 120 },
  rbknee: { acute: 60, routine: 240 },
  'cina-ich': { acute: 15, routine: 60 },
  'cina-lvo': { acute: 10, routine: 60 },
  chestview: { acute: 30, routine: 120 },
  'chestview-ptx': { acute: 15, routine: 60 },
  'lungnod-ct': { acute: 120, routine: 480 },
  'spineview-vf': { acute: 60, routine: 480 },
  'ribfx-ct': { acute: 30, routine: 120 },
  'cac-score': { acute: 120, routine: 480 },
  'ccta-stenosis': { acute: 60, routine: 480 },
  'prostate-mr': { acute: 240, routine: 1440 },
  'lumbar-mr': { acute: 240, routine: 1440 },
  'knee-mr': { acute: 240, routine: 1440 },
  'ms-lesion-mr': { acute: 240, routine: 1440 },
  'aspects-ct': { acute: 15, routine: 60 },
  'mammo-detect': { acute: 240, routine: 1440 },
  'mammo-density': { acute: 240, routine: 1440 },
};

/** The share of results within the norm below which ops is told (alerts) and the dashboards turn red. */
export const WITHIN_NORM_TARGET = 0.8;

export interface AnalyticsSettings {
  norms: Record<string, { acute: number; routine: number }>;
  /** Availability target per gateway and day. */
  availabilityTarget: number;
  /** Expected heartbeat interval of a gateway (ms): missing heartbeats count as down time. */
  heartbeatIntervalMs: number;
  /** Weeks at the start of a product x hospital x model version that form its reference. */
  baselineWeeks: number;
  /** In-control average run length in years of a hospital x product x model version's sensitivity and specificity monitors together, at the site's own volume (20: a stable year passes without a false alarm of either at about 95 % of sites). The thresholds meet the share of stable years with a false alarm that it stands for in predictive probability given the reference (drift.ts, chartsOf). */
  targetFalseAlarmYears: number;
  /** The least guarantee level of the thresholds: the probability with which the in-control run length given the estimated reference meets its target (Gandy & Kvaløy's guaranteed conditional performance). Each reference takes the lowest level from here up whose predictive false-alarm share meets the target's (drift.ts, chartsOf). */
  guarantee: number;
  /** The falls in sensitivity or specificity (absolute) each monitor's CUSUMs are tuned to, one chart each: a fall of unknown size is found by the chart nearest to it. */
  shifts: number[];
  /** The share of a metric's false-alarm rate each chart of `shifts` is set to before the guarantee level is chosen (one per shift, summing to 1): [0.2, 0.8] sets the 0.20 chart to 1.25 x the metric's run length and the 0.10 chart to 5 x, so that the 0.20 chart's threshold pays ln 1.25 for the second chart instead of ln 2. The level is then chosen for the charts together, so the stable-year share holds whatever the split (bench/README.md, drift). */
  shiftShares: number[];
  /** Cells smaller than this are marked, not hidden. */
  smallCell: number;
  /** A time to result (acquisition to result) longer than this, in minutes, is implausible: left out of turnaround and counted beside it. */
  implausibleMinutes: number;
}

export const DEFAULT_SETTINGS: AnalyticsSettings = {
  norms: DEFAULT_NORMS_MIN,
  availabilityTarget: 0.995,
  heartbeatIntervalMs: 10 * 60_000,
  baselineWeeks: 4,
  targetFalseAlarmYears: 20,
  guarantee: 0.5,
  shifts: [0.1, 0.2],
  shiftShares: [0.2, 0.8],
  smallCell: 10,
  implausibleMinutes: 7 * 24 * 60,
};
