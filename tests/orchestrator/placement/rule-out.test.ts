// Ruling out without a visit: nodes with equal labels share one interned set, and the walk rules
// a node out by its set, or by its free and free domestic card counts, once a set or capacity
// summary a walk, before any bound or node fetch. Under churn, a lab tier that no work may use
// collects free cards near every site and sits at the best end of every bound, as do boxes whose
// free cards are all foreign for domestic-only work: judged node by node, they were evaluated one
// by one (at 100k nodes ~300 a decision after 20k decisions).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlacementIndex, place, placementRequest } from '../../../orchestrator/placement/place.ts';
import { labels } from '../../../orchestrator/placement/filters/labels.ts';
import { accelerators } from '../../../orchestrator/placement/filters/accelerators.ts';
import type { LatencyEstimator, PlacementNode } from '../../../orchestrator/placement/types.ts';
import { parseWorkloadSpec } from '../../../orchestrator/workloads/spec.ts';

function node(id: string, tier: string, free: number, vendor = 'huawei'): PlacementNode {
  return {
    id, site: 's', online: true, lastSeenMs: 0, labels: { tier, rack: 'r1' },
    accelerators: Array.from({ length: 8 }, (_, index) => ({
      index, vendor, domestic: vendor !== 'nvidia', memoryMib: 65_536, nominalTflops: 300,
      ...(index >= free ? { allocatedTo: { workload: `w-${id}`, priority: 900, preemptible: false } } : {}),
    })),
  };
}

describe('label sets', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are shared by nodes with equal labels, whatever their key order, and follow a node that changes or leaves', () => {
    const index = new PlacementIndex([
      { ...node('a', 'prod', 1), labels: { tier: 'prod', rack: 'r1' } },
      { ...node('b', 'prod', 1), labels: { rack: 'r1', tier: 'prod' } },
      node('c', 'lab', 1),
    ]);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => index.labelSetAt(index.slotOf(id)!));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(index.labelSet(a!)).toEqual({ tier: 'prod', rack: 'r1' });
    index.upsert({ ...node('b', 'lab', 1) });
    expect(index.labelSetAt(index.slotOf('b')!)).toBe(c);
    const slot = index.slotOf('c')!;
    index.remove('c');
    expect(index.labelSetAt(slot)).toBe(-1);
    expect(index.labelSetCount).toBe(2);
  });

  it('rule out the nodes of a refused set without judging them one by one, and count them under labels', () => {
    // 300 lab nodes, all free and nearer than the one prod node with a card free.
    const nodes = [node('prod-1', 'prod', 1)];
    const rtt = new Map<string, number>([['prod-1', 0.9]]);
    for (let i = 0; i < 300; i++) {
      nodes.push(node(`lab-${i}`, 'lab', 8));
      rtt.set(`lab-${i}`, 0.1 + (i % 7) * 0.1);
    }
    const model: LatencyEstimator = { estimateTo: (id) => ({ rttMs: rtt.get(id)!, measured: true, errorMs: 0 }) };
    const r = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'cloud-gaming', run: { runner: 'simulated' }, needs: { accelerators: 1, labels: { tier: 'prod' } }, latency: { to: { site: 's' }, maxRttMs: 20 } });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const passes = vi.spyOn(labels, 'passes');
    const bySet = vi.spyOn(labels, 'byLabels');
    const d = place(placementRequest(r.spec), new PlacementIndex(nodes), model, { nowMs: 0 });
    expect(d.nodeId).toBe('prod-1');
    expect(d.explain.filters.find((f) => f.name === 'labels')!.removed).toBe(300);
    expect(d.explain.filters.find((f) => f.name === 'labels')!.reasons[0]).toMatch(/^lab-\d+: label tier=lab, needs tier=prod$/);
    // The one prod node is judged by the filter itself; each set once by its labels.
    expect(passes.mock.calls.length).toBe(1);
    expect(bySet.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('rule out the nodes whose free cards cannot hold domestic-only work by their counts, counted under accelerators', () => {
    // 300 boxes all free but foreign, nearer than the one domestic box with a card free.
    const nodes = [node('dom-1', 'prod', 1)];
    const rtt = new Map<string, number>([['dom-1', 0.9]]);
    for (let i = 0; i < 300; i++) {
      nodes.push(node(`nv-${i}`, 'prod', 8, 'nvidia'));
      rtt.set(`nv-${i}`, 0.1 + (i % 7) * 0.1);
    }
    const model: LatencyEstimator = { estimateTo: (id) => ({ rttMs: rtt.get(id)!, measured: true, errorMs: 0 }) };
    const r = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'cloud-gaming', run: { runner: 'simulated' }, needs: { accelerators: 1, domesticOnly: true }, latency: { to: { site: 's' }, maxRttMs: 20 } });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const passes = vi.spyOn(accelerators, 'passes');
    const d = place(placementRequest(r.spec), new PlacementIndex(nodes), model, { nowMs: 0 });
    expect(d.nodeId).toBe('dom-1');
    const report = d.explain.filters.find((f) => f.name === 'accelerators')!;
    expect(report.removed).toBe(300);
    expect(report.reasons[0]).toMatch(/^nv-\d+: 0 free matching accelerator\(s\), needs 1$/);
    expect(passes.mock.calls.length).toBe(1);
  });
});
