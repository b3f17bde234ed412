import { describe, expect, it } from 'vitest';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { EmbeddedStore, migrate, type Row } from '../store/index.ts';
import { sampleStudyEvents, tempDir } from '../testing/index.ts';
import { runAnalytics } from './index.ts';

const rows = Array.from({ length: 200 }, (_, i) => sampleStudyEvents(i).map((e) => ({ ...e, trace_id: `${i}`.padStart(32, '0') })))
  .flat()
  .map(eventToRow);

// The same fields, one from the per-study rows, the other from the view `study_product_lifecycle`
// (which collector/lifecycle-migration.test.ts shows equal to what the aggregate states gave).
const FIELDS = `hospital, product, study_key, received_at, acquired_at, urgency, send_mode, modality, body_part, sex, manufacturer, device_model,
  routed_at, completed_at, delivered_at, first_viewed_at, verdict_at, model_version, finding, score, ai_value, verdict_label, verdict_value`;

describe('the per-study rows, made from the study events of the lifecycle', () => {
  it('hold, for every routed study x product, what the lifecycle view says of it', async () => {
    const dir = tempDir('lifecycle-events');
    const store = new EmbeddedStore({ path: `${dir.path}/clickhouse` });
    try {
      await migrate(store);
      await insertEventRows(store, rows);
      await runAnalytics(store, { rebuildCases: true, settleMs: 0 });
      const cases = await store.query<Row>(
        `SELECT ${FIELDS}, length(viewer_keys) AS viewers, trace_id FROM study_cases FINAL WHERE is_deleted = 0 ORDER BY hospital, product, study_key`,
      );
      const view = await store.query<Row>(
        `SELECT ${FIELDS}, viewers FROM study_product_lifecycle WHERE routing_outcome = 'routed' AND received_at IS NOT NULL ORDER BY hospital, product, study_key`,
      );
      expect(cases.length).toBeGreaterThan(100);
      expect(cases.some((r) => r.verdict_label !== '' && Number(r.viewers) > 0 && r.completed_at !== null)).toBe(true);
      expect(cases.map(({ trace_id: _, ...r }) => r)).toEqual(view);
      // Each study's trace id, from its own events (the sample study's index, padded).
      for (const r of cases) expect(r.trace_id).toMatch(/^\d{32}$/);
      expect(new Set(cases.map((r) => r.trace_id)).size).toBe(new Set(cases.map((r) => r.study_key)).size);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
