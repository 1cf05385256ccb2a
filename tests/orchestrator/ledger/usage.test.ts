// Usage from placements: closed on stop, at each local midnight, and at the time a node was lost
// (not when noticed); re-opened after a restart from where the ledger last closed it.
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../orchestrator/ledger/ledger.ts';
import { MemoryLedgerStore } from '../../../orchestrator/ledger/store.ts';
import { UsageTracker, type UsageNode, type UsageWorkload } from '../../../orchestrator/ledger/usage.ts';
import type { UsageEntry } from '../../../orchestrator/ledger/entries.ts';
import { accelerator } from '../../helpers/envelopes.ts';

/** Local (UTC+8) wall time in Fuzhou. */
export const local = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) - 8 * 3_600_000;

function setup() {
  let now = local(2026, 3, 10, 10);
  const nodes = new Map<string, UsageNode>();
  nodes.set('n1', {
    site: 'fz-mawei-plant-3',
    accelerators: [accelerator({ index: 0, nominal: { tflops: 280, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } }), accelerator({ index: 1, nominal: { tflops: 280, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } })],
    bench: [],
    lostAtMs: null,
  });
  nodes.set('n2', { ...nodes.get('n1')!, site: 'fz-gulou-dc-1' });
  return {
    nodes,
    clock: { now: () => now, set: (t: number) => (now = t) },
    async tracker() {
      const store = new MemoryLedgerStore();
      const ledger = await Ledger.open(store, () => now);
      await ledger.setTenant('acme', { unit: 'pflops-hour', cnyPerUnit: 100 }, 2026);
      return { store, ledger, usage: new UsageTracker({ ledger, node: (id) => nodes.get(id), clock: () => now }) };
    },
  };
}

const wl = (state: string, nodeId: string | null, idx = [0, 1]): UsageWorkload => ({ id: 'w1', spec: { tenant: 'acme' }, state, nodeId, acceleratorIndexes: idx });
const usages = (l: Ledger) => l.entries().filter((e): e is UsageEntry & typeof e => e.kind === 'usage');

describe('usage tracker', () => {
  it('records an allocation from placement to stop, with PFLOPS-hours and the fee of the plan', async () => {
    const s = setup();
    const { ledger, usage } = await s.tracker();
    await usage.observe(wl('placed', 'n1'));
    s.clock.set(local(2026, 3, 10, 11));
    await usage.observe(wl('running', 'n1'));
    s.clock.set(local(2026, 3, 10, 12));
    await usage.observe(wl('stopped', 'n1'));
    const [u] = usages(ledger);
    expect(u).toMatchObject({ tenant: 'acme', site: 'fz-mawei-plant-3', nodeId: 'n1', closedBy: 'stopped', nominalTflops: 560, acceleratorHours: 4, measuredTflops: null });
    expect(u!.pflopsHoursNominal).toBeCloseTo(1.12, 9);
    expect(u!.feeCny).toBe(112);
    expect(usages(ledger)).toHaveLength(1);
    expect(ledger.verify().ok).toBe(true);
  });

  it('cuts a long run at each local midnight', async () => {
    const s = setup();
    const { ledger, usage } = await s.tracker();
    s.clock.set(local(2026, 6, 30, 22));
    await usage.observe(wl('running', 'n1'));
    s.clock.set(local(2026, 7, 2, 3));
    await usage.rollover(s.clock.now());
    expect(usages(ledger).map((u) => [u.startMs, u.endMs, u.closedBy])).toEqual([
      [local(2026, 6, 30, 22), local(2026, 7, 1), 'day-end'],
      [local(2026, 7, 1), local(2026, 7, 2), 'day-end'],
    ]);
    s.clock.set(local(2026, 7, 2, 4));
    await usage.observe(wl('completed', 'n1'));
    expect(usages(ledger).at(-1)).toMatchObject({ startMs: local(2026, 7, 2), endMs: local(2026, 7, 2, 4), closedBy: 'completed' });
  });

  it('closes at the time the node was lost, not when the loss was noticed, and re-opens on the new node', async () => {
    const s = setup();
    const { ledger, usage } = await s.tracker();
    await usage.observe(wl('running', 'n1'));
    s.nodes.get('n1')!.lostAtMs = local(2026, 3, 10, 10, 30);
    s.clock.set(local(2026, 3, 10, 11));
    await usage.observe(wl('placed', 'n2'));
    expect(usages(ledger)[0]).toMatchObject({ nodeId: 'n1', endMs: local(2026, 3, 10, 10, 30), closedBy: 'node-lost' });
    s.clock.set(local(2026, 3, 10, 12));
    await usage.observe(wl('stopped', 'n2'));
    expect(usages(ledger)[1]).toMatchObject({ nodeId: 'n2', site: 'fz-gulou-dc-1', startMs: local(2026, 3, 10, 11), endMs: local(2026, 3, 10, 12), closedBy: 'stopped' });
  });

  it('after a restart, re-opens from where the ledger last closed the allocation', async () => {
    const s = setup();
    const { store, ledger, usage } = await s.tracker();
    s.clock.set(local(2026, 3, 10, 20));
    await usage.observe(wl('running', 'n1'));
    s.clock.set(local(2026, 3, 11, 1));
    await usage.rollover(s.clock.now());
    expect(usages(ledger)).toHaveLength(1);
    // Crash; a new orchestrator starts at 02:00 with the workload still running on n1.
    s.clock.set(local(2026, 3, 11, 2));
    const again = await Ledger.open(store, s.clock.now);
    const tracker = new UsageTracker({ ledger: again, node: (id) => s.nodes.get(id), clock: s.clock.now });
    await tracker.restore([wl('running', 'n1')], () => local(2026, 3, 10, 20));
    s.clock.set(local(2026, 3, 11, 3));
    await tracker.observe(wl('stopped', 'n1'));
    const u = usages(again);
    expect(u.map((e) => [e.startMs, e.endMs])).toEqual([
      [local(2026, 3, 10, 20), local(2026, 3, 11)],
      [local(2026, 3, 11), local(2026, 3, 11, 3)],
    ]);
    expect(again.verify().ok).toBe(true);
  });

  it('uses measured TFLOPS where every card has a benchmark', async () => {
    const s = setup();
    s.nodes.get('n1')!.bench = [0, 1].map((i) => ({ target: `acc:${i}`, backend: 'torch', fp16: { tflops: 200, basis: 'fp16', source: 'bench', kind: 'measured', weak: false }, rawTflops: 200, precision: 'fp16', latencyP50Ms: 1, latencyP99Ms: 2, ratioToNominal: 0.7, shape: '', versions: {}, atMs: 1, durationMs: 1 }));
    const { ledger, usage } = await s.tracker();
    await usage.observe(wl('running', 'n1'));
    s.clock.set(s.clock.now() + 3_600_000);
    await usage.observe(wl('stopped', 'n1'));
    expect(usages(ledger)[0]).toMatchObject({ measuredTflops: 400, pflopsHoursMeasured: 0.4 });
  });
});
