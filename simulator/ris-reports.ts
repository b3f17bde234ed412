import { findingConceptOfProduct, type FindingConcept, type ProductId } from '../events/index.ts';
import type { Random } from '../vendors/index.ts';

/**
 * The true effect of each product on the time to the final report when its
 * result was looked at before signing, in whole minutes (negative: faster).
 * These are assumptions of this simulation, what the benefit analytics must
 * find, not claims about the products: BoneXpert saves the reader the atlas
 * comparison, RBfracture a second look, CINA-iPE changes nothing (its result is
 * an incidental finding, read after the report in most hospitals).
 */
export const TRUE_REPORT_EFFECT_MIN: Partial<Record<ProductId, number>> = {
  bonexpert: -4,
  rbfracture: -2,
  'cina-ipe': 0,
};

/** The report's timing: when the reader starts, and how long reading and dictating take. */
export const REPORT_TIMING = {
  /** A study no product was routed for is read this long after its arrival (median). */
  unroutedReadMedianMs: { acute: 10 * 60_000, routine: 60 * 60_000 },
  /** Reading and dictating: at least this, plus a log-normal part. */
  readingFloorMs: 8 * 60_000,
  readingMedianMs: { acute: 4 * 60_000, routine: 10 * 60_000 },
  readingSigma: 0.6,
  /** Share of reports with a preliminary report first (acute: the resident's), and of final reports amended later. */
  preliminaryShare: { acute: 0.4, routine: 0.05 },
  amendedShare: 0.03,
  /** Share of reports in which the RIS codes the finding a product looks for. */
  codedShare: 0.6,
};

export interface ProductReading {
  product: ProductId;
  /** When this product's reader got to the study (its result viewed then, if at all). */
  readAt: number;
  viewed: boolean;
  finding: 'positive' | 'negative';
}

export interface ReportPlan {
  /** [status, time] in order: an optional preliminary, the final, an optional amendment. */
  statuses: { status: 'preliminary' | 'final' | 'amended'; at: number }[];
  /** The true effect in force, in minutes: the sum over the products viewed before signing. */
  effectMin: number;
  coded?: { concept: FindingConcept; finding: 'positive' | 'negative' };
}

/**
 * The report of one study. The reader starts when the last routed product's
 * result has been looked at, or not (the latest of their reading times), so a
 * viewed result is always viewed before signing, and the reading start does not
 * depend on whether anyone looked: the studies where a product's result was
 * viewed differ from the others by that product's true effect and nothing else.
 * Draws come from the study's own report stream, so the rest of the simulation
 * is what it was without reports.
 */
export function planReport(random: Random, urgency: 'acute' | 'routine', arrivesAt: number, readings: readonly ProductReading[]): ReportPlan {
  const start = readings.length > 0 ? Math.max(...readings.map((r) => r.readAt)) : arrivesAt + random.logNormal(REPORT_TIMING.unroutedReadMedianMs[urgency], 0.8);
  const effectMin = readings.reduce((sum, r) => sum + (r.viewed ? (TRUE_REPORT_EFFECT_MIN[r.product] ?? 0) : 0), 0);
  const reading = REPORT_TIMING.readingFloorMs + random.logNormal(REPORT_TIMING.readingMedianMs[urgency], REPORT_TIMING.readingSigma);
  const finalAt = start + reading + effectMin * 60_000;
  const statuses: ReportPlan['statuses'] = [];
  if (random.chance(REPORT_TIMING.preliminaryShare[urgency])) statuses.push({ status: 'preliminary', at: start + reading / 2 });
  statuses.push({ status: 'final', at: finalAt });
  if (random.chance(REPORT_TIMING.amendedShare)) statuses.push({ status: 'amended', at: finalAt + (1 + random.int(72)) * 3600_000 });
  let coded: ReportPlan['coded'];
  for (const r of readings) {
    const concept = findingConceptOfProduct(r.product);
    if (concept && !coded && random.chance(REPORT_TIMING.codedShare)) coded = { concept, finding: r.finding };
  }
  return { statuses, effectMin, ...(coded ? { coded } : {}) };
}
