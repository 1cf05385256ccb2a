// RTT statistics over a window of probes, in send order. Percentiles interpolate linearly
// between closest ranks (numpy's default), so small windows give stable, testable values.
import type { RttStats, RttTargetKind } from '../../protocol/messages.ts';

/** One probe: its RTT in ms, or null when it was lost (timeout, refused, reset). */
export type RttSample = number | null;

/** The q-th quantile (0..1) of values sorted ascending; NaN for an empty list. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} must be within 0..1`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted([...values].sort((a, b) => a - b), q);
}

/**
 * Mean absolute difference of consecutive RTTs (the RFC 3550 interarrival-jitter idea without
 * its 1/16 smoothing, so a short window is not biased towards its first samples). Lost probes
 * are skipped: the difference is taken between the received neighbours.
 */
export function jitter(rttsInSendOrder: readonly number[]): number {
  if (rttsInSendOrder.length < 2) return 0;
  let sum = 0;
  for (let i = 1; i < rttsInSendOrder.length; i++) sum += Math.abs(rttsInSendOrder[i]! - rttsInSendOrder[i - 1]!);
  return sum / (rttsInSendOrder.length - 1);
}

/**
 * Summarises a window of probes. With nothing received every figure is 0 and loss is 1:
 * the protocol needs finite numbers, and `received: 0` says the figures carry no information.
 */
export function rttStats(target: string, targetKind: RttTargetKind, samples: readonly RttSample[]): RttStats {
  const received = samples.filter((s): s is number => s !== null && Number.isFinite(s) && s >= 0);
  const sent = samples.length;
  const sorted = [...received].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? round3(quantileSorted(sorted, p)) : 0);
  return {
    target,
    targetKind,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    jitterMs: round3(jitter(received)),
    loss: sent === 0 ? 0 : (sent - received.length) / sent,
    sent,
    received: received.length,
    minMs: sorted.length ? round3(sorted[0]!) : 0,
  };
}

/** Microsecond resolution is all a network RTT can honestly claim. */
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * A sliding time window of probes to one target, for continuous pings (e.g. to the
 * orchestrator): old samples fall out so loss and percentiles describe the recent past.
 */
export class RttWindow {
  private readonly samples: { atMs: number; rtt: RttSample }[] = [];

  constructor(
    readonly windowMs: number,
    private readonly maxSamples = 10_000,
  ) {
    if (!(windowMs > 0)) throw new RangeError('RttWindow needs a positive windowMs');
  }

  add(rtt: RttSample, atMs: number = Date.now()): void {
    this.samples.push({ atMs, rtt });
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
  }

  /** Stats of the samples taken within windowMs before nowMs. */
  stats(target: string, targetKind: RttTargetKind, nowMs: number = Date.now()): RttStats {
    const from = nowMs - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.atMs < from) drop++;
    if (drop) this.samples.splice(0, drop);
    return rttStats(target, targetKind, this.samples.map((s) => s.rtt));
  }
}
