// Energy efficiency in FP16-equivalent TFLOPS per watt, per card and per node, from what the
// registry keeps: the node's latest bench for `acc:<index>` when it measured power, else the
// catalogue's nominal TFLOPS over TDP from the birth. One rule, read by placement (the `green`
// score) and by the API alike.
import type { Accelerator, BenchResult, Birth, BenchReport } from '../../protocol/messages.ts';

export interface Efficiency {
  tflopsPerWatt: number;
  /** measured: the node's benchmark with its average power; nominal: catalogue TFLOPS / TDP. */
  basis: 'measured' | 'nominal';
}

/** The card's figure: measured where its benchmark gave one, else nominal; undefined when neither is known. */
export function cardEfficiency(a: Accelerator, bench: BenchResult | undefined): Efficiency | undefined {
  const measured = bench?.tflopsPerWatt;
  if (measured !== undefined && measured > 0 && Number.isFinite(measured)) return { tflopsPerWatt: measured, basis: 'measured' };
  const nominal = a.nominalTflopsPerWatt ?? (a.tdpW && a.nominal.tflops !== undefined ? a.nominal.tflops / a.tdpW : undefined);
  if (nominal !== undefined && nominal > 0 && Number.isFinite(nominal)) return { tflopsPerWatt: nominal, basis: 'nominal' };
  return undefined;
}

/**
 * The node's figure: what a watt buys across its cards with a figure, i.e. their TFLOPS over their
 * watts (each card weighs by its throughput; equal cards give the card's figure). Measured only
 * when every card's figure is. Undefined when no card has one. Cards in error are left out.
 */
export function nodeEfficiency(birth: Birth, bench: BenchReport | null | undefined): Efficiency | undefined {
  const byTarget = new Map<string, BenchResult>();
  for (const r of bench?.results ?? []) byTarget.set(r.target, r);
  let tflops = 0;
  let watts = 0;
  let sum = 0;
  let n = 0;
  let weighed = 0;
  let allMeasured = true;
  for (const a of birth.accelerators) {
    if (a.health === 'error') continue;
    const r = byTarget.get(`acc:${a.index}`);
    const e = cardEfficiency(a, r);
    if (!e) continue;
    n++;
    sum += e.tflopsPerWatt;
    allMeasured &&= e.basis === 'measured';
    const t = e.basis === 'measured' ? r!.fp16.tflops : a.nominal.tflops;
    if (t !== undefined && t > 0) {
      weighed++;
      tflops += t;
      watts += t / e.tflopsPerWatt;
    }
  }
  if (n === 0) return undefined;
  // A card without a throughput cannot be weighed: then the plain mean of the cards' figures.
  return { tflopsPerWatt: weighed === n ? tflops / watts : sum / n, basis: allMeasured ? 'measured' : 'nominal' };
}
