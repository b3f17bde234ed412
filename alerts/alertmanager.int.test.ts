import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReport, runAnalytics } from '../analytics/index.ts';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { makeTrustedEvent } from '../events/index.ts';
import { Backfill, loadScenario, type Scenario } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { alertmanagerInstalled, emptyStore, migratedStore, needService, startAlertmanager, waitFor } from '../testing/index.ts';
import { alertmanagerConfig, analyticsAlerts, publishAlerts } from './index.ts';

const available = await needService('Alertmanager (Debian package prometheus-alertmanager)', alertmanagerInstalled);

/** Alertmanager's group_wait and group_interval here: short, so that a test waits on notifications for little longer than they take. */
const GROUP_MS = 200;
/** How long a test waits to see that no further notification comes: several group intervals. */
const QUIET_MS = 5 * GROUP_MS;

interface Notification {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string> }[];
}

describe.skipIf(!available)('analytics alerts through a real Alertmanager', () => {
  const received: Record<string, Notification[]> = {};
  let hooks: FastifyInstance;
  let am: { url: string; stop: () => Promise<void> };
  let store: EmbeddedStore;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    hooks = Fastify({ logger: false });
    hooks.post<{ Params: { who: string } }>('/:who', async (request) => {
      (received[request.params.who] ??= []).push(request.body as Notification);
      return {};
    });
    const hookUrl = await hooks.listen({ host: '127.0.0.1', port: 0 });
    am = await startAlertmanager(
      alertmanagerConfig(
        { ops: `${hookUrl}/ops`, leads: `${hookUrl}/leads`, vendors: { visiana: `${hookUrl}/visiana`, radiobotics: `${hookUrl}/radiobotics`, avicenna: `${hookUrl}/avicenna` } },
        { groupWait: `${GROUP_MS}ms`, groupInterval: `${GROUP_MS}ms`, repeatInterval: '1h' },
      ),
    );
    ({ store, close: closeStore } = await migratedStore('alerts'));
  });
  afterAll(async () => {
    await closeStore?.();
    await am?.stop();
    await hooks?.close();
  });

  // The events of a simulated period, which arrive as time passes: each evaluation first
  // stores what happened before its time, then runs the analytics on from the last run.
  let pending: ReturnType<typeof eventToRow>[] = [];
  async function load(scenario: Scenario, weeks: number) {
    await emptyStore(store);
    pending = [];
    // Made without the schema check, as the bulk load makes them: the simulator's tests check its events.
    const backfill = new Backfill({ scenario, seed: 'alerts', weeks, makeEvent: makeTrustedEvent });
    for (const week of backfill.weeks()) pending.push(...week.events.map(eventToRow));
  }

  async function evaluate(to: string) {
    const now = Date.parse(to);
    const arrived = pending.filter((row) => Date.parse(`${String(row.occurred_at).replace(' ', 'T')}Z`) < now);
    const taken = new Set(arrived);
    pending = pending.filter((row) => !taken.has(row));
    await insertEventRows(store, arrived);
    await runAnalytics(store, { settleMs: 0 });
    const alerts = analyticsAlerts(await readReport(store, 'all'));
    await publishAlerts(am.url, alerts);
    return alerts;
  }

  it('tells project leads where a product costs more per used result than its bound: CINA-iPE where its output is not in the PACS', async () => {
    for (const key of Object.keys(received)) delete received[key];
    await load(loadScenario('stable'), 9);
    const alerts = await evaluate('2026-03-09T00:00:00Z');
    const cost = alerts.filter((a) => a.labels.alertname === 'CostPerUsedResultHigh');
    // Catharina and Radboudumc have CINA-iPE's output in their PACS (the pilot's two), and look at it enough for its licence.
    expect(cost.map((a) => `${a.labels.product}|${a.labels.hospital}`).sort()).toEqual(['cina-ipe|gelre', 'cina-ipe|rivierenland', 'cina-ipe|zgt']);
    expect(cost.every((a) => a.labels.audience === 'lead')).toBe(true);
    // Alertmanager may split the three into more than one notification: wait until each hospital was told.
    const costSent = () => (received.leads ?? []).flatMap((n) => n.alerts).filter((a) => a.labels.alertname === 'CostPerUsedResultHigh');
    await waitFor('the leads notifications of the three hospitals', () => new Set(costSent().map((a) => a.labels.hospital)).size >= 3, 20_000);
    expect(new Set(costSent().map((a) => a.labels.hospital))).toEqual(new Set(['gelre', 'rivierenland', 'zgt']));
    expect([...(received.ops ?? []), ...(received.avicenna ?? [])].flatMap((n) => n.alerts).some((a) => a.labels.alertname === 'CostPerUsedResultHigh')).toBe(false);
  });

  it('sends drift to the drifted product vendor only, and resolves it once performance is back and analytics run again', async () => {
    const drift = loadScenario('drift');
    const scenario: Scenario = {
      ...drift,
      changes: [
        { ...drift.changes[1]!, start: '2026-02-02' },
        { hospital: 'gelre', product: 'rbfracture', what: 'sensitivity', to: 0.92, start: '2026-03-02', ramp_weeks: 0, note: 'the vendor fixed it' },
      ],
    };
    await load(scenario, 16);
    const firing = await evaluate('2026-03-02T00:00:00Z');
    expect(firing.filter((a) => a.labels.alertname === 'ModelDrift' && a.labels.severity === 'critical').map((a) => `${a.labels.vendor}|${a.labels.hospital}|${a.labels.metric}`)).toEqual([
      'radiobotics|gelre|sensitivity',
    ]);
    await waitFor('the vendor notification', () => received.radiobotics?.some((n) => n.status === 'firing'), 20_000);
    const first = received.radiobotics!.find((n) => n.status === 'firing')!;
    expect(first.alerts.some((a) => a.labels.alertname === 'ModelDrift' && a.labels.hospital === 'gelre' && a.labels.product === 'rbfracture' && a.labels.metric === 'sensitivity')).toBe(true);
    expect(received.radiobotics!.flatMap((n) => n.alerts).every((a) => a.labels.vendor === 'radiobotics')).toBe(true);
    // Evaluating again changes nothing: the same identities, no new notification.
    const before = received.radiobotics!.length;
    await publishAlerts(am.url, firing);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    expect(received.radiobotics!.length).toBe(before);
    expect(received.visiana ?? []).toEqual([]);
    expect(received.avicenna ?? []).toEqual([]);

    const later = await evaluate('2026-04-27T00:00:00Z');
    expect(later.some((a) => a.labels.alertname === 'ModelDrift' && a.labels.hospital === 'gelre' && a.labels.metric === 'sensitivity')).toBe(false);
    await waitFor('the resolution', () => received.radiobotics?.some((n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.metric === 'sensitivity' && a.labels.hospital === 'gelre')), 20_000);
    expect(received.visiana ?? []).toEqual([]);
    expect(received.avicenna ?? []).toEqual([]);
  });

  it('tells ops of a gateway outage once, grouped, not once per study', async () => {
    for (const key of Object.keys(received)) delete received[key];
    await load({ ...loadScenario('outage'), volume_factor: 0.25 }, 7);
    const alerts = await evaluate('2026-02-20T00:00:00Z');
    expect(alerts.filter((a) => a.labels.audience === 'ops' && a.labels.alertname === 'GatewayAvailabilityLow').map((a) => a.labels.hospital)).toEqual(['zgt']);
    await waitFor('the ops notification', () => received.ops?.length, 20_000);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const outage = (received.ops ?? []).filter((n) => n.alerts.some((a) => a.labels.alertname === 'GatewayAvailabilityLow'));
    expect(outage).toHaveLength(1);
    expect(outage[0]!.alerts.filter((a) => a.labels.alertname === 'GatewayAvailabilityLow')).toHaveLength(1);
    // Turnaround alerts of the hospital whose gateway was down are published, and inhibited.
    expect(alerts.some((a) => a.labels.alertname === 'TurnaroundBreach' && a.labels.hospital === 'zgt')).toBe(true);
    expect((received.ops ?? []).flatMap((n) => n.alerts).some((a) => a.labels.alertname === 'TurnaroundBreach' && a.labels.hospital === 'zgt')).toBe(false);
  });
});
