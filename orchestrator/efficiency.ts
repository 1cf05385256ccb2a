// Energy efficiency (FP16-eq TFLOPS per watt) of a card, a node and the fleet: the one rule the
// API, the dashboard, the CLI and /metrics share. A card's figure is measured (its benchmark
// averaged power while it ran) where there is one, else nominal (catalogue TFLOPS / TDP), else
// unknown; never a guess.
import type { Accelerator, BenchResult } from '../protocol/messages.ts';

export type EfficiencyBasis = 'measured' | 'nominal' | 'unknown';
/** A node's or the fleet's figure: 'mixed' when some cards are measured and some nominal. */
export type CombinedBasis = EfficiencyBasis | 'mixed';

export interface CardEfficiency {
  /** The figure used: measured, else nominal; null when neither is known. */
  tflopsPerWatt: number | null;
  basis: EfficiencyBasis;
  measuredTflopsPerWatt: number | null;
  nominalTflopsPerWatt: number | null;
  /** The FP16-eq TFLOPS that figure belongs to: its weight in a node's or the fleet's figure. */
  tflops: number | null;
}

export interface CombinedEfficiency {
  /** Total TFLOPS over the watts they draw at the cards' efficiencies; null when no card is known. */
  tflopsPerWatt: number | null;
  basis: CombinedBasis;
  /** Cards that counted. */
  cards: number;
  /** Cards left out: no efficiency figure, or no TFLOPS figure to weight it by. */
  unknownCards: number;
}

function positive(v: number | undefined | null): number | null {
  return v !== undefined && v !== null && Number.isFinite(v) && v > 0 ? v : null;
}

/** bench: the card's latest benchmark (target `acc:<index>`), if any. */
export function cardEfficiency(acc: Accelerator, bench: BenchResult | undefined): CardEfficiency {
  const measured = positive(bench?.tflopsPerWatt);
  // An agent older than the TDP field's rule sends tdpW alone: the same figure, worked out here.
  const nominal = positive(acc.nominalTflopsPerWatt ?? (acc.tdpW && acc.nominal.tflops !== undefined ? acc.nominal.tflops / acc.tdpW : undefined));
  if (measured !== null) {
    return { tflopsPerWatt: measured, basis: 'measured', measuredTflopsPerWatt: measured, nominalTflopsPerWatt: nominal, tflops: positive(bench?.fp16.tflops) };
  }
  if (nominal !== null) {
    return { tflopsPerWatt: nominal, basis: 'nominal', measuredTflopsPerWatt: null, nominalTflopsPerWatt: nominal, tflops: positive(acc.nominal.tflops) };
  }
  return { tflopsPerWatt: null, basis: 'unknown', measuredTflopsPerWatt: null, nominalTflopsPerWatt: null, tflops: null };
}

/**
 * Combines cards into one TFLOPS-weighted figure: ΣT / Σ(T / e), the harmonic mean of the cards'
 * TFLOPS/W weighted by their TFLOPS, which is what the whole delivers per watt (an arithmetic mean
 * would overstate a mix of efficient small and inefficient big cards).
 */
export class EfficiencyMean {
  private tflops = 0;
  private watts = 0;
  private cards = 0;
  private unknown = 0;
  private measured = false;
  private nominal = false;

  add(c: CardEfficiency): void {
    if (c.tflopsPerWatt === null || c.tflops === null) {
      this.unknown++;
      return;
    }
    this.cards++;
    this.tflops += c.tflops;
    this.watts += c.tflops / c.tflopsPerWatt;
    if (c.basis === 'measured') this.measured = true;
    else this.nominal = true;
  }

  result(): CombinedEfficiency {
    const basis: CombinedBasis = this.measured && this.nominal ? 'mixed' : this.measured ? 'measured' : this.nominal ? 'nominal' : 'unknown';
    return {
      tflopsPerWatt: this.cards > 0 ? roundEfficiency(this.tflops / this.watts) : null,
      basis,
      cards: this.cards,
      unknownCards: this.unknown,
    };
  }
}

export function combineEfficiency(cards: Iterable<CardEfficiency>): CombinedEfficiency {
  const m = new EfficiencyMean();
  for (const c of cards) m.add(c);
  return m.result();
}

export function roundEfficiency(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
