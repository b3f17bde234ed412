/** Offset of `timeZone` from UTC at the given UTC instant, in ms. */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * A DICOM date (YYYYMMDD) and time (HHMMSS.FFFFFF, parts optional) to an ISO
 * UTC instant. DICOM times are local: the explicit offset (+HHMM) when the
 * object has one, else the hospital's time zone. Null when unusable.
 */
export function dicomDateTimeToIso(date: string, time: string, timeZone: string, offset = ''): string | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date.trim());
  if (!d) return null;
  const t = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(time.trim()) ?? ['', '00', '00', '00', ''];
  const ms = Math.floor(Number(`0.${t[4] || '0'}`) * 1000);
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1] ?? 0), Number(t[2] ?? 0), Number(t[3] ?? 0), ms);
  if (Number.isNaN(wall)) return null;
  const o = /^([+-])(\d{2})(\d{2})$/.exec(offset.trim());
  if (o) {
    const sign = o[1] === '-' ? -1 : 1;
    return new Date(wall - sign * (Number(o[2]) * 60 + Number(o[3])) * 60_000).toISOString();
  }
  // Two passes settle the offset across a daylight-saving change.
  let utc = wall - zoneOffsetMs(wall, timeZone);
  utc = wall - zoneOffsetMs(utc, timeZone);
  return new Date(utc).toISOString();
}

/** A DICOM DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX) to ISO UTC. */
export function dicomDtToIso(dt: string, timeZone: string): string | null {
  const m = /^(\d{8})(\d{2,6}(?:\.\d{1,6})?)?([+-]\d{4})?$/.exec(dt.trim());
  if (!m) return null;
  return dicomDateTimeToIso(m[1]!, m[2] ?? '', timeZone, m[3] ?? '');
}
