import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlacementIndex, place } from '../../../orchestrator/placement/pipeline.ts';
import { DEFAULT_WEIGHTS, scoreNode, weightedTotal } from '../../../orchestrator/placement/plugins.ts';
import type { LatencyEstimator, PlacementNode } from '../../../orchestrator/placement/types.ts';
import type { WorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { NOW, fleetArb, specArb } from './random-fleet.ts';

const FRESH_MS = 30_000;

/** Brute force, written from the constraints themselves: every node, every check, best total, lowest id. */
function reference(spec: WorkloadSpec, nodes: PlacementNode[], latency: LatencyEstimator) {
  let best: { id: string; total: number } | null = null;
  for (const node of [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!node.online || NOW - node.lastSeenMs > FRESH_MS) continue;
    if (Object.entries(spec.needs.labels).some(([k, v]) => node.labels[k] !== v)) continue;
    const usable = node.accelerators.filter((a) => {
      if (a.allocatedTo) return false;
      if (spec.needs.domesticOnly && !a.domestic) return false;
      if (spec.needs.vendors.length && !(spec.needs.vendors as string[]).includes(a.vendor)) return false;
      if (a.memoryMib < spec.needs.memoryMibPerAccelerator) return false;
      const t = spec.needs.basis === 'measured' ? a.measuredTflops : a.nominalTflops;
      return spec.needs.minFp16Tflops <= 0 || (t !== undefined && t >= spec.needs.minFp16Tflops);
    });
    if (usable.length < spec.needs.accelerators) continue;
    const est = spec.latency ? latency.estimateTo(node.id, spec.latency.to) : undefined;
    if (spec.latency) {
      if (!est) continue;
      if ((est.measured ? est.rttMs : est.rttMs + est.errorMs) > spec.latency.maxRttMs) continue;
    }
    usable.sort((a, b) => Number(b.domestic) - Number(a.domestic) || a.index - b.index);
    const chosen = usable.slice(0, spec.needs.accelerators);
    const used = node.accelerators.filter((a) => a.allocatedTo).length;
    const total = weightedTotal(scoreNode(node, chosen, est, spec, used), DEFAULT_WEIGHTS, spec);
    if (!best || total > best.total) best = { id: node.id, total };
  }
  return best;
}

describe('placement pipeline against a brute-force reference', () => {
  it('never violates a hard constraint, and picks the reference best (with the spatial index)', () => {
    fc.assert(
      fc.property(fleetArb, specArb, ({ nodes, model }, spec) => {
        const index = new PlacementIndex(nodes.map((n) => structuredClone(n)));
        const d = place(spec, index, model, { nowMs: NOW, freshMs: FRESH_MS });
        const ref = reference(spec, nodes, model);
        if (!d.evict.length) expect(d.nodeId).toBe(ref?.id ?? null);
        if (d.nodeId === null) {
          expect(d.explain.blockedBy).not.toBeNull();
          const blocking = d.explain.filters.find((f) => f.name === d.explain.blockedBy)!;
          expect(blocking.removed).toBeGreaterThan(0);
          expect(blocking.reasons.length).toBeGreaterThan(0);
          return;
        }
        const node = nodes.find((n) => n.id === d.nodeId)!;
        expect(node.online && NOW - node.lastSeenMs <= FRESH_MS).toBe(true);
        expect(d.acceleratorIndexes).toHaveLength(spec.needs.accelerators);
        for (const i of d.acceleratorIndexes) {
          const a = node.accelerators[i]!;
          if (!d.evict.length) expect(a.allocatedTo).toBeUndefined();
          else if (a.allocatedTo) expect(d.evict).toContain(a.allocatedTo.workload);
          if (spec.needs.domesticOnly) expect(a.domestic).toBe(true);
          expect(a.memoryMib).toBeGreaterThanOrEqual(spec.needs.memoryMibPerAccelerator);
        }
        if (spec.latency) {
          const est = model.estimateTo(node.id, spec.latency.to)!;
          if (est.measured) expect(est.rttMs).toBeLessThanOrEqual(spec.latency.maxRttMs);
          else expect(est.rttMs + est.errorMs).toBeLessThanOrEqual(spec.latency.maxRttMs);
          expect(d.rttMeasured).toBe(est.measured);
        }
        if (!d.evict.length) expect(d.explain.candidates[0]!.total).toBe(ref!.total);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same decision without the spatial index (full scan)', () => {
    fc.assert(
      fc.property(fleetArb, specArb, ({ nodes, model }, spec) => {
        const scanOnly: LatencyEstimator = { estimateTo: (id, t) => model.estimateTo(id, t) };
        const a = place(spec, new PlacementIndex(nodes.map((n) => structuredClone(n))), model, { nowMs: NOW });
        const b = place(spec, new PlacementIndex(nodes.map((n) => structuredClone(n))), scanOnly, { nowMs: NOW });
        expect(a.nodeId).toBe(b.nodeId);
        expect(a.acceleratorIndexes).toEqual(b.acceleratorIndexes);
      }),
      { numRuns: 100 },
    );
  });
});
