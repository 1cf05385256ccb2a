// Aligned plain-text tables for people (scripts use --json). Numbers align right.
import { plainNumber } from '../numbers.ts';

export type Cell = string | number | null | undefined;

export function table(headers: string[], rows: Cell[][], opts: { right?: number[] } = {}): string {
  const right = new Set(opts.right ?? []);
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : typeof c === 'number' ? plainNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n');
}

export function fixed(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

export function rtt(ms: number | null, measured: boolean): string {
  return ms === null ? '-' : `${ms.toFixed(2)} ms ${measured ? 'measured' : 'est.'}`;
}

