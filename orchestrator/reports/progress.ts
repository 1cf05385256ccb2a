// City progress: FP16-eq PFLOPS nominal and measured and the domestic share, day by day from the
// ledger's snapshots, against the plan's 400 P.
import type { LedgerEntry } from '../ledger/entries.ts';
import { RULES } from './rules.ts';

export interface ProgressPoint {
  day: string;
  nominalPflops: number;
  measuredPflops: number;
  domesticShare: number;
  ofTarget: number;
}

export interface ProgressReport {
  targetPflops: number;
  points: ProgressPoint[];
  rules: string[];
}

export function progressReport(entries: readonly LedgerEntry[]): ProgressReport {
  const byDay = new Map<string, ProgressPoint>();
  for (const e of entries) {
    if (e.kind !== 'snapshot') continue;
    byDay.set(e.day, {
      day: e.day,
      nominalPflops: e.nominalPflops,
      measuredPflops: e.measuredPflops,
      domesticShare: e.nominalPflops > 0 ? e.domesticPflops / e.nominalPflops : 0,
      ofTarget: e.nominalPflops / RULES.targetPflops.value,
    });
  }
  return { targetPflops: RULES.targetPflops.value, points: [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1)), rules: [RULES.targetPflops.cite] };
}
