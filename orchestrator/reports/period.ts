// Report periods in the city's local time: a half-year "2026H1" / "2026H2", or a year "2026".
const DAY_MS = 86_400_000;

export interface Period {
  label: string;
  startMs: number;
  endMs: number;
  year: number;
}

export function parsePeriod(label: string, utcOffsetMinutes = 480): Period {
  const m = /^(\d{4})(?:H([12]))?$/.exec(label.trim());
  if (!m) throw new RangeError(`period "${label}" is not a half-year like 2026H1 or a year like 2026`);
  const year = Number(m[1]);
  const half = m[2] ? Number(m[2]) : null;
  const off = utcOffsetMinutes * 60_000;
  const at = (y: number, month: number) => Date.UTC(y, month, 1) - off;
  const startMs = half === 2 ? at(year, 6) : at(year, 0);
  const endMs = half === 1 ? at(year, 6) : at(year + 1, 0);
  return { label: m[0], startMs, endMs, year };
}

export function hoursIn(p: Period): number {
  return (p.endMs - p.startMs) / 3_600_000;
}

/** The local calendar day of t, YYYY-MM-DD. */
export function localDay(t: number, utcOffsetMinutes = 480): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

export function daysIn(p: Period): number {
  return Math.round((p.endMs - p.startMs) / DAY_MS);
}
