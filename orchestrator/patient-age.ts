/** Ages at or above this are reported as this, so that the very old are not singled out. */
export const AGE_CAP_YEARS = 90;

const UNIT_YEARS: Record<string, number> = { Y: 1, M: 1 / 12, W: 7 / 365.25, D: 1 / 365.25 };

function parseDate(yyyymmdd: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd.trim());
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(t) ? null : t;
}

/**
 * Age in years at the study: from PatientAge (e.g. 009Y, 018M), else from the
 * birth date and the study date. Children keep one decimal (bone age needs it),
 * adults whole years, and ages from 90 are reported as 90. The birth date itself
 * is never kept. Null when neither source is usable.
 */
export function ageInYears(patientAge: string, birthDate: string, studyDate: string): number | null {
  let years: number | null = null;
  const m = /^(\d{1,3})([YMWD])$/.exec(patientAge.trim().toUpperCase());
  if (m) years = Number(m[1]) * UNIT_YEARS[m[2]!]!;
  else {
    const born = parseDate(birthDate);
    const seen = parseDate(studyDate);
    if (born !== null && seen !== null && seen >= born) years = (seen - born) / (365.25 * 24 * 3600 * 1000);
  }
  if (years === null || !Number.isFinite(years) || years < 0) return null;
  if (years >= AGE_CAP_YEARS) return AGE_CAP_YEARS;
  return years < 18 ? Math.floor(years * 10) / 10 : Math.floor(years);
}
