/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalytics } from '../analytics/index.ts';
import { loadConfig } from '../config/index.ts';
import { dashboards, SERIES_LIMITS } from '../dashboards/index.ts';
import { VENDOR_IDS } from '../events/index.ts';
import { contractedProducts, type HospitalsFile } from '../orchestrator/index.ts';
import { bulkLoad, loadScenario, mondayWeeksAgo, networkOf, shiftScenario } from '../simulator/index.ts';
import { chromiumInstalled, launchChromium, needService, rowsOfPanelThatMayBeEmpty, tempDir } from '../testing/index.ts';
import { startStack, type FullStack } from './index.ts';
import { backfillInto } from './simulate-command.ts';

const TRACE_URL = 'http://127.0.0.1:16686/trace/{trace_id}';

export interface ViewSuiteOptions {
  /** A built-in scenario or a scenario file; its network's hospitals are the deployment's. */
  scenario: string;
  /** Finished weeks and the current one, which the simulation fills to its end. */
  weeks: number;
  /** Load by the bulk loader at this share of the scenario's volume, instead of the collector's backfill. */
  bulkVolumeFactor?: number;
  /** Folder under test-results/ for the screenshots. */
  screenshots: string;
}

/**
 * The built-in view in headless Chromium over a simulated scenario, ending
 * this week: every dashboard now and on a Monday morning, every panel drawn
 * with data within the limits and the unfinished period marked, a screenshot
 * of each; trace links; a vendor's access.
 */
export async function dashboardViewSuite(options: ViewSuiteOptions): Promise<void> {
  const available = await needService('Chromium', chromiumInstalled);
  const SCREENSHOTS = resolve('test-results', options.screenshots);
  const WEEKS = options.weeks;

  let stack: FullStack;
  let browser: Browser;
  let dir: ReturnType<typeof tempDir>;
  let hospitals: HospitalsFile;

  beforeAll(async () => {
    if (!available) return;
    dir = tempDir('view');
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent', AIFI_TRACE_URL: TRACE_URL });
    const scenario = shiftScenario(loadScenario(options.scenario), mondayWeeksAgo(WEEKS - 1));
    hospitals = networkOf(scenario).hospitals;
    stack = await startStack(config, { port: 0, dicomPort: null, hospitals });
    if (options.bulkVolumeFactor === undefined) await backfillInto(stack.collector, scenario, 'view', WEEKS);
    else await bulkLoad({ store: stack.store, scenario, seed: 'view', weeks: WEEKS, volumeFactor: options.bulkVolumeFactor, workers: 1 });
    await runAnalytics(stack.store, { settleMs: 0 });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    dir?.remove();
  });

  /** Waits until every panel has finished, then returns each panel's state. */
  async function panelStates(
    page: Page,
  ): Promise<{ title: string; state: string; rows: number; error: string; inked: number; charts: number; multiples: number; series: number; unfinished: string; tableRows: number; tableColumns: number }[]> {
    await page.waitForFunction(() => [...document.querySelectorAll('section.panel')].every((s) => (s as HTMLElement).dataset.state !== 'loading'), null, { timeout: 60_000 });
    return page.$$eval('section.panel', (sections) =>
      sections.map((s) => {
        const el = s as HTMLElement;
        // Share of each chart's pixels that are drawn (not transparent), the least of them: a chart without lines has next to none.
        let inked = 1;
        const canvases = [...el.querySelectorAll('.uplot canvas')] as HTMLCanvasElement[];
        for (const canvas of canvases) {
          const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
          inked = Math.min(inked, n / (data.length / 4));
        }
        return {
          title: el.querySelector('h2')!.textContent ?? '',
          state: el.dataset.state ?? '',
          rows: Number(el.dataset.rows ?? 0),
          error: el.querySelector('.error')?.textContent ?? '',
          inked,
          charts: canvases.length,
          multiples: Number(el.dataset.multiples ?? 0),
          series: Number(el.dataset.series ?? 0),
          unfinished: el.dataset.unfinished ?? '',
          tableRows: el.querySelectorAll('tbody tr').length,
          tableColumns: el.querySelectorAll('thead th').length,
        };
      }),
    );
  }

  const token = (audience: string) => stack.viewers!.tokenOf(audience as never)!;

  describe.skipIf(!available)(`the built-in dashboard view in headless Chromium (${options.scenario})`, () => {
    it('draws every panel of every dashboard with data after a simulation, legibly and with the unfinished period marked, now and on a Monday morning, and saves a screenshot of each', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      // Signing in with ?token= sets the cookie and takes the token out of the address.
      await page.goto(`${stack.url}/view/?token=${token('all')}`);
      expect(new URL(page.url()).search).toBe('');
      const listed = await page.$$eval('ul.dashboards a', (links) => links.map((a) => a.getAttribute('href')));
      const served = dashboards({ hospitals: hospitals.hospitals.map((h) => h.id), products: contractedProducts(hospitals) }).filter((d) => d.panels.length > 0);
      expect(listed).toEqual(served.map((d) => `/view/d/${d.uid}`));
      const monday = `${mondayWeeksAgo(0)}T08:00:00Z`;
      for (const [d, at] of served.flatMap((x) => [[x, 'now'], [x, monday]] as const)) {
        await page.goto(`${stack.url}/view/d/${d.uid}${at === 'now' ? '' : `?from=now-90d&to=${at}`}`);
        const states = await panelStates(page);
        expect(states.map((s) => s.title)).toEqual(d.panels.map((p) => p.title));
        for (const [i, s] of states.entries()) {
          const spec = d.panels[i]!;
          if (spec.mayBeEmpty) {
            // A panel that may be empty (a network without alarms has no episode) lists exactly the rows there are of the dashboard's products.
            const n = await rowsOfPanelThatMayBeEmpty(stack.store, spec.mayBeEmpty, d.products);
            expect(s, `${d.uid}: ${s.title}`).toMatchObject({ state: n > 0 ? 'drawn' : 'empty', error: '', rows: n });
            continue;
          }
          expect(s, `${d.uid}: ${s.title}`).toMatchObject({ state: 'drawn', error: '' });
          expect(s.rows, `${d.uid}: ${s.title}`).toBeGreaterThan(0);
        }
        for (const [i, s] of states.entries()) {
          const spec = d.panels[i]!;
          if (spec.kind !== 'timeseries') continue;
          // One chart, or one small chart per product drawn, at most as many as the limit.
          if (spec.smallMultiples) {
            expect(s.multiples, `${d.uid}: ${s.title}`).toBeGreaterThan(0);
            expect(s.multiples, `${d.uid}: ${s.title}`).toBeLessThanOrEqual(SERIES_LIMITS.smallMultiples);
            expect(s.charts, `${d.uid}: ${s.title}`).toBe(s.multiples);
          } else {
            expect(s.charts, `${d.uid}: ${s.title}`).toBe(1);
          }
          expect(s.inked, `${d.uid}: ${s.title} has lines`).toBeGreaterThan(0.005);
          expect(s.series, `${d.uid}: ${s.title}`).toBeGreaterThan(0);
          expect(s.series, `${d.uid}: ${s.title}`).toBeLessThanOrEqual(SERIES_LIMITS.timeseries);
          // The current period holds data and is not over: it is marked, not drawn as a measured value.
          expect(s.unfinished, `${d.uid}: ${s.title} at ${at} marks its unfinished period`).not.toBe('');
        }
        for (const s of states.filter((_, i) => d.panels[i]!.kind === 'table')) {
          expect(s.tableRows, `${d.uid}: ${s.title}`).toBeLessThanOrEqual(SERIES_LIMITS.tableRows);
          expect(s.tableColumns, `${d.uid}: ${s.title}`).toBeLessThanOrEqual(SERIES_LIMITS.tableColumns);
        }
        await page.screenshot({ path: join(SCREENSHOTS, `${d.uid}${at === 'now' ? '' : '-monday'}.png`), fullPage: true });
      }
      expect(problems).toEqual([]);
      await context.close();
    }, 600_000);

    it('defaults to the network, drills down to a hospital from a table, and goes back', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${stack.url}/view/d/aifi-adoption?token=${token('lead')}`);
      await panelStates(page);
      const all = hospitals.hospitals.length;
      expect(await page.textContent('p.scope')).toContain(`The whole network (${all} hospitals)`);
      const heatmap = page.locator('section.panel', { has: page.locator('h2', { hasText: 'Adoption, hospital × product' }) });
      const firstColumn = () => heatmap.locator('tbody tr td:first-child').allTextContents();
      expect(new Set(await firstColumn()).size).toBeGreaterThan(1);
      const link = heatmap.locator('a.drill').nth(1);
      const hospital = (await link.textContent())!;
      await link.click();
      await page.waitForURL((url) => url.searchParams.get('hospital') === hospital);
      const states = await panelStates(page);
      for (const st of states) expect(st.error, st.title).toBe('');
      expect(await firstColumn()).toEqual([hospital]);
      expect(await page.textContent('p.scope')).toContain(`${hospital} (1 of ${all} hospitals)`);
      await page.click('a.network');
      await page.waitForURL((url) => !url.searchParams.has('hospital'));
      await panelStates(page);
      expect(new Set(await firstColumn()).size).toBeGreaterThan(1);
      await context.close();
    }, 120_000);

    it('links each breach to its trace, and colours the share within the norm', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${stack.url}/view/d/aifi-turnaround?token=${token('ops')}`);
      await panelStates(page);
      const links = await page.$$eval('a.trace', (as) => as.map((a) => (a as HTMLAnchorElement).href));
      expect(links.length).toBeGreaterThan(0);
      for (const href of links) expect(href).toMatch(/^http:\/\/127\.0\.0\.1:16686\/trace\/[0-9a-f]{32}$/);
      const coloured = await page.$$eval('td.threshold-green, td.threshold-red', (cells) => cells.length);
      expect(coloured).toBeGreaterThan(0);
      await context.close();
    }, 60_000);

    it("shows a vendor only its own dashboard, and answers another vendor's with 403", async () => {
      const [vendor, other] = VENDOR_IDS;
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${stack.url}/view/?token=${token(`vendor:${vendor}`)}`);
      expect(await page.$$eval('ul.dashboards a', (links) => links.map((a) => a.getAttribute('href')))).toEqual([`/view/d/aifi-vendor-${vendor}`]);
      await page.goto(`${stack.url}/view/d/aifi-vendor-${vendor}`);
      const states = await panelStates(page);
      const vendorPanels = dashboards({ hospitals: hospitals.hospitals.map((h) => h.id), products: contractedProducts(hospitals) }).find((d) => d.uid === `aifi-vendor-${vendor}`)!.panels;
      expect(states.map((s) => s.title)).toEqual(vendorPanels.map((p) => p.title));
      expect(states.filter((s, i) => !vendorPanels[i]!.mayBeEmpty).every((s) => s.state === 'drawn')).toBe(true);
      const response = await page.goto(`${stack.url}/view/d/aifi-vendor-${other}`);
      expect(response!.status()).toBe(403);
      expect(await page.textContent('main')).toContain(`is for vendor:${other}`);
      // The data behind the page is refused too, whatever the page would do.
      const data = await page.evaluate(async (url) => (await fetch(url)).status, `${stack.url}/view/api/d/aifi-vendor-${other}/panels/0`);
      expect(data).toBe(403);
      const adoption = await page.goto(`${stack.url}/view/d/aifi-adoption`);
      expect(adoption!.status()).toBe(403);
      await context.close();
    }, 60_000);
  });
}
