/**
 * The collector's work per event made in this process, before the insert:
 * the former in-process path (the contract checked again with `checkEvent`,
 * `eventToRow` with the payload stringified, then `toJsonEachRow` stringifying
 * the row and the payload string once more) against the InProcessSink's
 * (`eventLine`: one JSONEachRow line per event, the event encoded once, no
 * second check). Both make the bytes of one insert; alternating rounds, the
 * median of each and their ratio.
 */
import { parseArgs } from 'node:util';
import { eventLine, eventToRow } from '../collector/index.ts';
import { checkEvent, type AifiEvent } from '../events/index.ts';
import { toJsonEachRow } from '../store/index.ts';
import { sampleStudyEvents } from '../testing/index.ts';
import { endProgress, machine, median, progress, timeIt } from './bench-kit.ts';

const { values } = parseArgs({ options: { studies: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const studies = Number(values.studies);
const rounds = Number(values.rounds);
const say = progress('event-encoding');

say(`making ${studies} studies of events`);
const events = Array.from({ length: studies }, (_, i) => sampleStudyEvents(i)).flat();

function before(list: readonly AifiEvent[]): Buffer {
  const rows = [];
  for (const e of list) {
    const check = checkEvent(e);
    if (check.ok) rows.push(eventToRow(check.event));
  }
  return toJsonEachRow(rows);
}

function after(list: readonly AifiEvent[]): Buffer {
  let text = '';
  for (const e of list) text += eventLine(e);
  return Buffer.from(text, 'utf8');
}

// The same row either way: the typed columns equal, and the payload text ClickHouse stores equal.
const same = events.every((e) => {
  const { payload, ...columns } = JSON.parse(eventLine(e)) as Record<string, unknown>;
  const { payload: text, ...row } = JSON.parse(JSON.stringify(eventToRow(e))) as Record<string, unknown>;
  return JSON.stringify(payload) === text && JSON.stringify(Object.entries(columns).sort()) === JSON.stringify(Object.entries(row).sort());
});
const beforeMs: number[] = [];
const afterMs: number[] = [];
for (let r = 1; r <= rounds; r++) {
  say(`round ${r} of ${rounds}`);
  beforeMs.push(await timeIt(async () => before(events)));
  afterMs.push(await timeIt(async () => after(events)));
}
endProgress();
const perEvent = (ms: number) => Number(((ms * 1000) / events.length).toFixed(2));
console.log(
  JSON.stringify(
    {
      machine: await machine(),
      events: events.length,
      same_rows: same,
      checked_row_json_us_per_event: perEvent(median(beforeMs)),
      event_line_us_per_event: perEvent(median(afterMs)),
      ratio_after_before: Number((median(afterMs) / median(beforeMs)).toFixed(2)),
    },
    null,
    2,
  ),
);
