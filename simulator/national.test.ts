import { describe, expect, it } from 'vitest';
import { PRODUCT_IDS, VENDOR_IDS } from '../events/index.ts';
import { NATIONAL_HOSPITALS } from '../orchestrator/index.ts';
import { Backfill, loadScenario, NATIONAL, NATIONAL_STUDIES_PER_YEAR } from './index.ts';

const national = loadScenario('national');

describe('the national network', () => {
  it('has 70 hospitals, 8 academic and larger, about 12 million studies a year, and its own scanners each', () => {
    expect(NATIONAL.hospitals).toHaveLength(70);
    expect(NATIONAL_HOSPITALS.hospitals.filter((h) => h.kind === 'academic')).toHaveLength(8);
    const total = NATIONAL.hospitals.reduce((s, h) => s + h.yearly, 0);
    expect(Math.abs(total - NATIONAL_STUDIES_PER_YEAR)).toBeLessThan(100);
    const mean = (kind: string) => {
      const of = NATIONAL.hospitals.filter((h) => h.kind === kind);
      return of.reduce((s, h) => s + h.yearly, 0) / of.length;
    };
    expect(mean('academic')).toBeGreaterThan(1.5 * mean('general'));
    const fleets = new Set(NATIONAL.hospitals.map((h) => JSON.stringify(h.fleets)));
    expect(fleets.size).toBe(70);
  });

  it('offers 20 products of several vendors, each bought by some hospitals and by none everywhere', () => {
    expect(PRODUCT_IDS).toHaveLength(20);
    expect(VENDOR_IDS.length).toBeGreaterThanOrEqual(6);
    for (const product of PRODUCT_IDS) {
      const buyers = NATIONAL_HOSPITALS.hospitals.filter((h) => h.products[product]);
      expect(buyers.length, product).toBeGreaterThan(3);
      expect(buyers.length, product).toBeLessThan(70);
    }
    const delivery = NATIONAL_HOSPITALS.hospitals.flatMap((h) => Object.values(h.products).map((p) => p!.deliver));
    expect(delivery).toContain(false);
  });

  it('makes the volumes it states: two weeks at 2 % of national volume, within 10 %', () => {
    const backfill = new Backfill({ scenario: { ...national, volume_factor: 0.02 }, seed: 'volumes', weeks: 2 });
    let studies = 0;
    const products = new Set<string>();
    for (const week of backfill.weeks()) {
      studies += week.studies;
      for (const e of week.events) if (e.type === 'study.routed' && e.outcome === 'routed') products.add(e.product);
    }
    const expected = (NATIONAL_STUDIES_PER_YEAR / 52) * 2 * 0.02;
    expect(studies).toBeGreaterThan(0.9 * expected);
    expect(studies).toBeLessThan(1.1 * expected);
    expect(products.size).toBeGreaterThanOrEqual(18);
  });
});
