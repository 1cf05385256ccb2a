// The latency SLO of a pinned workload, checked against the model's current estimate. Only a
// measured RTT can break it (an estimate is not evidence), and only for a sustained window.
import type { LatencyModel } from '../latency/model.ts';
import type { Workload } from './workload.ts';

export type SloVerdict =
  | { kind: 'unchecked' }
  | { kind: 'held' }
  | { kind: 'breached'; rttMs: number }
  | { kind: 'breaching' }
  | { kind: 'sustained' };

/** Updates w's RTT and breach start; says what the lifecycle should do about it. */
export function checkSlo(w: Workload, latency: Pick<LatencyModel, 'estimateTo'>, nowMs: number, windowMs: number): SloVerdict {
  if (!w.spec.latency || !w.nodeId) return { kind: 'unchecked' };
  const est = latency.estimateTo(w.nodeId, w.spec.latency.to);
  if (!est) return { kind: 'unchecked' };
  w.rttMs = est.rttMs;
  w.rttMeasured = est.measured;
  if (!est.measured || est.rttMs <= w.spec.latency.maxRttMs) {
    w.sloBreachSinceMs = null;
    return { kind: 'held' };
  }
  if (w.sloBreachSinceMs === null) {
    w.sloBreachSinceMs = nowMs;
    return { kind: 'breached', rttMs: est.rttMs };
  }
  return nowMs - w.sloBreachSinceMs >= windowMs ? { kind: 'sustained' } : { kind: 'breaching' };
}
