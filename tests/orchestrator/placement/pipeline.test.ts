import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlacementIndex, place, placementRequest } from '../../../orchestrator/placement/place.ts';
import type { LatencyEstimator, PlacementNode } from '../../../orchestrator/placement/types.ts';
import type { WorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { NOW, fleetArb, specArb } from './random-fleet.ts';
import { scan } from './scan.ts';

const FRESH_MS = 30_000;

/**
 * Brute force, written from the constraints and score definitions themselves (not the plugins):
 * every node, every check, best total, lowest id.
 */
function reference(spec: WorkloadSpec, nodes: PlacementNode[], latency: LatencyEstimator) {
  let best: { id: string; total: number } | null = null;
  const need = spec.needs.accelerators;
  const green = spec.class === 'batch' ? spec.greenWeight : 0;
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
    if (usable.length < need) continue;
    const est = spec.latency ? latency.estimateTo(node.id, spec.latency.to) : undefined;
    const eff = est ? (est.measured ? est.rttMs : est.rttMs + est.errorMs) : Infinity;
    if (spec.latency && eff > spec.latency.maxRttMs) continue;
    usable.sort((a, b) => Number(b.domestic) - Number(a.domestic) || a.index - b.index);
    const chosen = usable.slice(0, need);
    const total = node.accelerators.length;
    const utilisation = total === 0 ? 1 : (node.accelerators.filter((a) => a.allocatedTo).length + chosen.length) / total;
    let score = 0;
    if (spec.latency) score += 10 * Math.max(0, Math.min(1, 1 - eff / spec.latency.maxRttMs));
    score += 1 * (spec.strategy === 'binpack' ? utilisation : 1 - utilisation);
    score += 0.5 * (chosen.length === 0 ? 0 : chosen.filter((a) => a.domestic).length / chosen.length);
    const e = node.tflopsPerWatt;
    if (green > 0) score += green * (need === 0 || e === undefined ? 0 : e / (e + 1));
    if (!best || score > best.total) best = { id: node.id, total: score };
  }
  return best;
}

describe('placement walker against a brute-force reference', () => {
  it('never violates a hard constraint, and picks the reference best', () => {
    fc.assert(
      fc.property(fleetArb, specArb, ({ nodes, model }, spec) => {
        const index = new PlacementIndex(nodes.map((n) => structuredClone(n)));
        const d = place(placementRequest(spec), index, model, { nowMs: NOW, freshMs: FRESH_MS });
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

  it('decides as the plain scan does, and accounts for every node exactly once in explain', () => {
    fc.assert(
      fc.property(fleetArb, specArb, ({ nodes, model }, spec) => {
        const req = placementRequest(spec);
        const a = place(req, new PlacementIndex(nodes.map((n) => structuredClone(n))), model, { nowMs: NOW });
        const b = scan(req, new PlacementIndex(nodes.map((n) => structuredClone(n))), model, { nowMs: NOW });
        expect(a.nodeId).toBe(b.nodeId);
        expect(a.acceleratorIndexes).toEqual(b.acceleratorIndexes);
        expect(a.evict).toEqual(b.evict);
        expect(a.explain.candidates[0]?.total).toBe(b.explain.candidates[0]?.total);
        const x = a.explain;
        expect(x.filters.reduce((n, f) => n + f.removed, 0) + x.scored + x.notExamined).toBe(nodes.length);
        // The scan looks at everything: nothing is left unexamined, and the same nodes pass.
        expect(b.explain.notExamined).toBe(0);
        if (a.evict.length === 0) expect(x.scored).toBeLessThanOrEqual(b.explain.scored);
        // Filters that cannot reject anything for this workload get no row.
        if (!spec.latency) expect(x.filters.map((f) => f.name)).not.toContain('latency-slo');
      }),
      { numRuns: 150 },
    );
  });
});
