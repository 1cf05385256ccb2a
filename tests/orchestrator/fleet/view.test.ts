// The fleet view placement reads: node views from registry records, and reservations kept apart
// from them, so a node that re-announces itself (or comes back after a restart) keeps what is
// reserved on it.
import { describe, expect, it } from 'vitest';
import { FleetView, placementNode } from '../../../orchestrator/fleet/view.ts';
import { Registry, type NodeRecord } from '../../../orchestrator/registry.ts';
import { benchTarget } from '../../../protocol/targets.ts';
import { accelerator, birth } from '../../helpers/envelopes.ts';

const holder = { workload: 'w-1', priority: 100, preemptible: false };

function node(registry: Registry, id: string, accs = 2): NodeRecord {
  const n = registry.touch(id, 'site-a', 's');
  registry.setBirth(n, birth({ accelerators: Array.from({ length: accs }, (_, index) => accelerator({ index })) }));
  return n;
}

describe('fleet view', () => {
  it('keeps reservations across a node re-announcing itself', () => {
    const registry = new Registry();
    const fleet = new FleetView();
    const n = node(registry, 'a');
    fleet.update(n);
    const v0 = fleet.version;
    fleet.reserve('a', [1], holder);
    expect(fleet.version).toBeGreaterThan(v0);
    fleet.update(n);
    expect(fleet.get('a')!.accelerators.map((a) => a.allocatedTo?.workload)).toEqual([undefined, 'w-1']);
    fleet.release('w-1', 'a');
    fleet.update(n);
    expect(fleet.get('a')!.accelerators.every((a) => !a.allocatedTo)).toBe(true);
  });

  it('applies a reservation made before its node is in view (a restart) once the node appears', () => {
    const registry = new Registry();
    const fleet = new FleetView();
    fleet.reserve('late', [0], holder);
    expect(fleet.get('late')).toBeUndefined();
    fleet.update(node(registry, 'late'));
    expect(fleet.get('late')!.accelerators[0]!.allocatedTo).toEqual(holder);
  });

  it('reads measured FP16 by bench target and leaves out cards in error', () => {
    const registry = new Registry();
    const n = registry.touch('b', 'site-b', 's');
    registry.setBirth(n, birth({ accelerators: [accelerator({ index: 0 }), accelerator({ index: 1, health: 'error' }), accelerator({ index: 2 })] }));
    const fp16 = (tflops: number) => ({ tflops, basis: 'fp16' as const, source: 'test', kind: 'measured' as const, weak: false });
    n.bench = {
      results: [
        { target: benchTarget(2), backend: 'command', fp16: fp16(123), rawTflops: 123 },
        { target: 'cpu', backend: 'cpu', fp16: fp16(1), rawTflops: 1 },
      ],
      atMs: 0,
    } as unknown as NodeRecord['bench'];
    const v = placementNode(n);
    expect(v.accelerators.map((a) => [a.index, a.measuredTflops])).toEqual([
      [0, undefined],
      [2, 123],
    ]);
  });
});
