// A node's energy efficiency as placement reads it (the `green` score). The rule itself, card by
// card and combined, is orchestrator/efficiency.ts, which the API uses too: one rule, one place.
import type { BenchReport, BenchResult, Birth } from '../../protocol/messages.ts';
import { benchTarget } from '../../protocol/targets.ts';
import { cardEfficiency, EfficiencyMean, type CombinedBasis } from '../efficiency.ts';

export interface Efficiency {
  tflopsPerWatt: number;
  basis: CombinedBasis;
}

/** The node's TFLOPS over its watts across the cards with a figure; undefined when none has one. Cards in error are left out. */
export function nodeEfficiency(birth: Birth, bench: BenchReport | null | undefined): Efficiency | undefined {
  const byTarget = new Map<string, BenchResult>();
  for (const r of bench?.results ?? []) byTarget.set(r.target, r);
  const mean = new EfficiencyMean();
  for (const a of birth.accelerators) if (a.health !== 'error') mean.add(cardEfficiency(a, byTarget.get(benchTarget(a.index))));
  const r = mean.result();
  return r.tflopsPerWatt === null ? undefined : { tflopsPerWatt: r.tflopsPerWatt, basis: r.basis };
}
