import { describe, expect, it } from 'vitest';
import { jitter, quantile, rttStats, RttWindow } from '../../../agent/probe/stats.ts';

describe('quantile', () => {
  it('interpolates linearly between closest ranks', () => {
    const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(quantile(xs, 0.5)).toBe(55);
    expect(quantile(xs, 0.9)).toBeCloseTo(91, 10);
    expect(quantile(xs, 0.99)).toBeCloseTo(99.1, 10);
    expect(quantile(xs, 0)).toBe(10);
    expect(quantile(xs, 1)).toBe(100);
  });
  it('does not depend on input order and handles one value', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
  it('rejects a quantile outside 0..1', () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('jitter', () => {
  it('is the mean absolute difference of consecutive RTTs', () => {
    // |12-10| + |9-12| + |15-9| = 2 + 3 + 6 = 11, over 3 differences
    expect(jitter([10, 12, 9, 15])).toBeCloseTo(11 / 3, 12);
    expect(jitter([5, 5, 5])).toBe(0);
    expect(jitter([5])).toBe(0);
  });
});

describe('rttStats', () => {
  it('computes percentiles, jitter, min and loss over a window with losses', () => {
    const s = rttStats('lm-1', 'landmark', [10, null, 12, 9, null, 15]);
    expect(s).toEqual({
      target: 'lm-1',
      targetKind: 'landmark',
      p50Ms: 11,
      p90Ms: 14.1,
      p99Ms: 14.91,
      jitterMs: 3.667,
      loss: 2 / 6,
      sent: 6,
      received: 4,
      minMs: 9,
    });
  });
  it('reports total loss with finite zero figures', () => {
    const s = rttStats('peer-a', 'peer', [null, null, null]);
    expect(s.loss).toBe(1);
    expect(s.received).toBe(0);
    expect([s.p50Ms, s.p90Ms, s.p99Ms, s.jitterMs, s.minMs]).toEqual([0, 0, 0, 0, 0]);
  });
  it('reports no loss for an empty window', () => {
    expect(rttStats('o', 'orchestrator', []).loss).toBe(0);
  });
});

describe('RttWindow', () => {
  it('forgets samples older than the window', () => {
    const w = new RttWindow(1000);
    w.add(null, 0);
    w.add(100, 500);
    w.add(20, 1200);
    w.add(30, 1400);
    const s = w.stats('orch', 'orchestrator', 1600);
    expect(s.sent).toBe(2);
    expect(s.loss).toBe(0);
    expect(s.p50Ms).toBe(25);
    const later = w.stats('orch', 'orchestrator', 2300);
    expect(later.sent).toBe(1);
    expect(later.p50Ms).toBe(30);
  });
});
