import { Gauge } from 'prom-client';
import type { Store } from '../store/index.ts';

const labelNames = ['hospital', 'product', 'urgency', 'send_mode'] as const;

export const turnaroundP90 = new Gauge({ name: 'aifi_turnaround_p90_minutes', help: 'Time to result, 90th percentile, from the last analytics run', labelNames });
export const turnaroundNorm = new Gauge({ name: 'aifi_turnaround_norm_minutes', help: 'The norm time to result for the product and urgency', labelNames });
export const turnaroundWithinNorm = new Gauge({ name: 'aifi_turnaround_within_norm_ratio', help: 'Share of studies with their result within the norm, from the last analytics run', labelNames });

/** Puts the latest turnaround results on /metrics, for the ops alerting rules. */
export async function publishTurnaround(store: Store): Promise<void> {
  const rows = await store.query<{ hospital: string; product: string; urgency: string; send_mode: string; p90_min: number; norm_min: number; within_norm: number }>(
    'SELECT hospital, product, urgency, send_mode, p90_min, norm_min, within_norm FROM turnaround FINAL',
  );
  for (const r of rows) {
    const labels = { hospital: r.hospital, product: r.product, urgency: r.urgency, send_mode: r.send_mode };
    turnaroundP90.set(labels, r.p90_min);
    turnaroundNorm.set(labels, r.norm_min);
    turnaroundWithinNorm.set(labels, r.within_norm);
  }
}
