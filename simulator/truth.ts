import type { ProductId } from '../events/index.ts';
import type { Scenario } from './scenario.ts';
import { startMs, type Timeline } from './timeline.ts';
import { WEEK_MS, type StudyPlan } from './workload.ts';

/** One hospital x product x week of the truth as it accumulates; cells from separate parts of a run merge. */
export interface TruthCell {
  hospital: string;
  product: ProductId;
  week: string;
  eligible: number;
  positives: number;
  negatives: number;
  viewed: number;
  view_probability: number;
  sensitivity: number;
  specificity: number;
  model_versions: Set<string>;
}

export interface TruthRow {
  hospital: string;
  product: ProductId;
  /** Monday of the week, YYYY-MM-DD (ClickHouse toMonday). */
  week: string;
  eligible: number;
  /** Eligible studies whose ground truth is positive, and negative. */
  positives: number;
  negatives: number;
  /** The true rates in force (averaged over the week's studies). */
  prevalence: number;
  sensitivity: number;
  specificity: number;
  /** The chance that a result was looked at, averaged: the adoption the data should show. */
  adoption: number;
  viewed: number;
  model_versions: string[];
}

export interface Truth {
  scenario: string;
  seed: string | number;
  weeks: number;
  start: string;
  onsets: ReturnType<Timeline['onsets']>;
  rates: TruthRow[];
}

/** What the simulator knows and analytics must find: the true rates per hospital x product x week. */
export class TruthBook {
  private readonly cells = new Map<string, TruthCell>();

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: string | number,
    private readonly weeks: number,
    private readonly timeline: Timeline,
  ) {}

  record(plan: StudyPlan, product: ProductId, finding: 'positive' | 'negative', draw: { viewProbability: number; viewed: boolean; sensitivity: number; specificity: number; modelVersion: string }): void {
    const weekStart = startMs(this.scenario.start) + Math.floor((plan.arrivesAt - startMs(this.scenario.start)) / WEEK_MS) * WEEK_MS;
    const week = new Date(weekStart).toISOString().slice(0, 10);
    const key = `${plan.hospital.id}|${product}|${week}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { hospital: plan.hospital.id, product, week, eligible: 0, positives: 0, negatives: 0, viewed: 0, view_probability: 0, sensitivity: 0, specificity: 0, model_versions: new Set() };
      this.cells.set(key, cell);
    }
    cell.eligible++;
    if (finding === 'positive') cell.positives++;
    else cell.negatives++;
    if (draw.viewed) cell.viewed++;
    cell.view_probability += draw.viewProbability;
    cell.sensitivity += draw.sensitivity;
    cell.specificity += draw.specificity;
    cell.model_versions.add(draw.modelVersion);
  }

  /** Hands over the cells recorded so far and forgets them (a worker's share of a run). */
  drain(): TruthCell[] {
    const cells = [...this.cells.values()];
    this.cells.clear();
    return cells;
  }

  /** Adds cells that another part of the run recorded; merging the same parts in the same order gives the same truth. */
  merge(cells: readonly TruthCell[]): void {
    for (const c of cells) {
      const key = `${c.hospital}|${c.product}|${c.week}`;
      const cell = this.cells.get(key);
      if (!cell) {
        this.cells.set(key, { ...c, model_versions: new Set(c.model_versions) });
        continue;
      }
      cell.eligible += c.eligible;
      cell.positives += c.positives;
      cell.negatives += c.negatives;
      cell.viewed += c.viewed;
      cell.view_probability += c.view_probability;
      cell.sensitivity += c.sensitivity;
      cell.specificity += c.specificity;
      for (const v of c.model_versions) cell.model_versions.add(v);
    }
  }

  result(): Truth {
    const rates = [...this.cells.values()]
      .map((c) => ({
        hospital: c.hospital,
        product: c.product,
        week: c.week,
        eligible: c.eligible,
        positives: c.positives,
        negatives: c.negatives,
        prevalence: c.positives / c.eligible,
        sensitivity: c.sensitivity / c.eligible,
        specificity: c.specificity / c.eligible,
        adoption: c.view_probability / c.eligible,
        viewed: c.viewed,
        model_versions: [...c.model_versions].sort(),
      }))
      .sort((a, b) => a.hospital.localeCompare(b.hospital) || a.product.localeCompare(b.product) || a.week.localeCompare(b.week));
    return { scenario: this.scenario.name, seed: this.seed, weeks: this.weeks, start: this.scenario.start, onsets: this.timeline.onsets(), rates };
  }
}
