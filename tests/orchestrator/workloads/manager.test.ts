// The workload lifecycle against a registry of nodes and a dispatcher that records commands
// (the MQTT path is covered end to end in tests/e2e/workloads.test.ts). As in the orchestrator, the
// fleet view follows node changes and ingest feeds the latency model where nodes stand.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandAction } from '../../../protocol/messages.ts';
import { FleetView } from '../../../orchestrator/fleet/view.ts';
import { Ingest } from '../../../orchestrator/ingest.ts';
import { LatencyModel } from '../../../orchestrator/latency/model.ts';
import { Registry, type NodeRecord } from '../../../orchestrator/registry.ts';
import { WorkloadManager } from '../../../orchestrator/workloads/manager.ts';
import { accelerator, birth } from '../../helpers/envelopes.ts';

interface Sent {
  nodeId: string;
  action: CommandAction;
  correlationId: string;
}

function setup(opts: { ackTimeoutMs?: number; sloWindowMs?: number } = {}) {
  const now = { t: 1_000_000 };
  const registry = new Registry({ clock: () => now.t });
  const latency = new LatencyModel();
  const ingest = new Ingest('banyan/v1', registry, undefined, {}, latency);
  const fleet = new FleetView();
  const sent: Sent[] = [];
  const manager = new WorkloadManager({
    dispatcher: {
      command: async (nodeId, action, correlationId = 'c') => {
        sent.push({ nodeId, action, correlationId });
        return correlationId;
      },
    },
    fleet,
    latency,
    clock: () => now.t,
    ackTimeoutMs: opts.ackTimeoutMs ?? 60_000,
    sloWindowMs: opts.sloWindowMs ?? 10_000,
  });
  /** What the orchestrator does when the registry says a node changed. */
  const changed = (n: NodeRecord) => {
    fleet.update(n);
    manager.nodeChanged(n);
  };
  const addNode = (id: string, site: string, lat: number, lon: number, accs = 2, vendor = 'huawei'): NodeRecord => {
    const n = registry.touch(id, site, 's');
    registry.setBirth(
      n,
      birth({
        location: { lat, lon, site, district: 'x', siteKind: 'factory' },
        accelerators: Array.from({ length: accs }, (_, index) => accelerator({ index, vendor, domestic: vendor !== 'nvidia' })),
      }),
    );
    ingest.locate(n);
    changed(n);
    return n;
  };
  const ack = (s: Sent, nodeId = s.nodeId, state: 'running' | 'failed' | 'completed' = 'running') =>
    manager.onEvent(nodeId, {
      correlationId: s.correlationId,
      kind: 'workload',
      workload: { workloadId: s.action.action === 'run' ? s.action.run.workloadId : '', state, exitCode: state === 'failed' ? 1 : 0, pid: 42, message: '', attempt: 1, outputTail: '' },
    });
  return { now, registry, latency, fleet, manager, sent, addNode, changed, ack };
}

const trading = (site: string, extra: Record<string, unknown> = {}) => ({
  name: 'order-gw',
  tenant: 'bank',
  class: 'trading',
  run: { runner: 'simulated', durationMs: 60_000 },
  needs: { accelerators: 1 },
  latency: { to: { site }, maxRttMs: 2 },
  ...extra,
});

let cleanup: WorkloadManager | null = null;
afterEach(() => cleanup?.close());

describe('workload manager', () => {
  it('places a trading workload on the node at the exchange site, reserves capacity and dispatches', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('far', 'fz-fuqing-plant-1', 25.707, 119.355);
    s.addNode('near', 'fz-gulou-exchange-1', 26.085, 119.298);
    s.latency.observe('far', 'near', 9);
    const r = s.manager.submit(trading('fz-gulou-exchange-1'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.workload).toMatchObject({ state: 'placed', nodeId: 'near', acceleratorIndexes: [0] });
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]!.action.action).toBe('run');
    expect(s.fleet.get('near')!.accelerators[0]!.allocatedTo?.workload).toBe(r.workload.id);
    s.ack(s.sent[0]!);
    expect(s.manager.get(r.workload.id)!.state).toBe('running');
    expect(s.manager.get(r.workload.id)!.history.map((h) => h.state)).toEqual(['pending', 'placed', 'running']);
  });

  it('names every field error of an invalid spec', () => {
    const s = setup();
    cleanup = s.manager;
    const r = s.manager.submit({ name: '', class: 'nope', needs: { accelerators: -1 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/class']));
    expect(r.errors.length).toBeGreaterThanOrEqual(2);
  });

  it('stays pending and explains the blocking filter when nothing fits, then places when a node arrives', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('small', 'site-a', 26, 119.3, 1);
    const r = s.manager.submit({ ...trading('site-a'), needs: { accelerators: 4 } });
    if (!r.ok) throw new Error('spec');
    expect(r.workload.state).toBe('pending');
    expect(s.manager.explain(r.workload.id)!.blockedBy).toBe('accelerators');
    s.addNode('big', 'site-a', 26, 119.3, 8);
    s.manager.tick();
    expect(s.manager.get(r.workload.id)).toMatchObject({ state: 'placed', nodeId: 'big' });
  });

  it('tries the next candidate when a node does not ack in time', () => {
    vi.useFakeTimers();
    const s = setup({ ackTimeoutMs: 1000 });
    cleanup = s.manager;
    s.addNode('a', 'site-a', 26, 119.3);
    s.addNode('b', 'site-a', 26.0001, 119.3001);
    const r = s.manager.submit({ ...trading('site-a'), latency: undefined, class: 'batch' });
    if (!r.ok) throw new Error('spec');
    const first = r.workload.nodeId!;
    vi.advanceTimersByTime(1001);
    vi.useRealTimers();
    const w = s.manager.get(r.workload.id)!;
    expect(w.state).toBe('placed');
    expect(w.nodeId).not.toBe(first);
    expect(w.history.some((h) => h.reason.includes('did not ack'))).toBe(true);
    // the silent node's reservation was released
    expect(s.fleet.get(first)!.accelerators.every((a) => !a.allocatedTo)).toBe(true);
  });

  it('re-places a `replace` workload after its node is lost past grace, and keeps a `keep` one', () => {
    const s = setup();
    cleanup = s.manager;
    const a = s.addNode('a', 'site-a', 26, 119.3, 2);
    const rep = s.manager.submit(trading('site-a'));
    const keep = s.manager.submit({ ...trading('site-a'), name: 'protect', class: 'grid-protection' });
    if (!rep.ok || !keep.ok) throw new Error('spec');
    for (const x of s.sent) s.ack(x);
    expect([rep.workload.nodeId, keep.workload.nodeId]).toEqual(['a', 'a']);
    s.addNode('b', 'site-a', 26.0001, 119.3001, 2);
    s.registry.setStatus(a, 'offline', 'will');
    s.changed(a);
    s.now.t += 4_999;
    s.manager.tick();
    expect(s.manager.get(rep.workload.id)!.nodeId).toBe('a'); // still inside trading's 5 s grace
    s.now.t += 2;
    s.manager.tick();
    const r = s.manager.get(rep.workload.id)!;
    expect(r).toMatchObject({ state: 'placed', nodeId: 'b' });
    expect(r.history.some((h) => h.reason.includes('lost past grace'))).toBe(true);
    expect(s.sent.some((x) => x.nodeId === 'a' && x.action.action === 'stop' && x.action.stop.workloadId === r.id)).toBe(true);
    // grid protection keeps waiting for its node (policy keep, 300 s grace)
    s.now.t += 400_000;
    s.manager.tick();
    expect(s.manager.get(keep.workload.id)).toMatchObject({ state: 'running', nodeId: 'a' });
  });

  it('stops the stale copy on a node that returns running a workload re-placed elsewhere', () => {
    const s = setup();
    cleanup = s.manager;
    const a = s.addNode('a', 'site-a', 26, 119.3, 1);
    s.addNode('b', 'site-a', 26.0001, 119.3001, 1);
    s.latency.observe('a', 'b', 0.5);
    const r = s.manager.submit({ ...trading('site-a'), name: 'x' });
    if (!r.ok) throw new Error('spec');
    s.ack(s.sent[0]!);
    const first = r.workload.nodeId!;
    const firstRec = first === 'a' ? a : s.registry.get('b')!;
    s.registry.setStatus(firstRec, 'offline', 'will');
    s.changed(firstRec);
    s.now.t += 6000;
    s.manager.tick();
    const w = s.manager.get(r.workload.id)!;
    expect(w.nodeId).not.toBe(first);
    // the first node comes back and says it still runs the workload
    firstRec.birth = { ...firstRec.birth!, runningWorkloads: [w.id] };
    s.registry.setStatus(firstRec, 'online', 'birth');
    const before = s.sent.length;
    s.manager.reconcile(firstRec);
    const stops = s.sent.slice(before).filter((x) => x.nodeId === first && x.action.action === 'stop');
    expect(stops).toHaveLength(1);
  });

  it('re-places after a measured SLO breach sustained for the window', () => {
    const s = setup({ sloWindowMs: 1000 });
    cleanup = s.manager;
    s.addNode('a', 'site-a', 26, 119.3, 1);
    s.addNode('b', 'site-a', 26.0001, 119.3001, 1);
    const r = s.manager.submit({ ...trading('site-a'), latency: { to: { landmark: 'gw' }, maxRttMs: 2 } });
    s.latency.observe('a', 'gw', 1);
    s.latency.observe('b', 'gw', 1.5);
    s.manager.tick();
    if (!r.ok) throw new Error('spec');
    const w = s.manager.get(r.workload.id)!;
    expect(w.state).toBe('placed');
    s.ack(s.sent.at(-1)!);
    const first = w.nodeId!;
    for (let i = 0; i < 8; i++) s.latency.observe(first, 'gw', 9);
    s.manager.tick();
    expect(w.sloBreachSinceMs).not.toBeNull();
    s.now.t += 1001;
    s.manager.tick();
    expect(w.nodeId).not.toBe(first);
    expect(w.history.some((h) => h.reason.includes('SLO broken'))).toBe(true);
  });

  it('moves on operator request only to a node that fits, and stop releases capacity', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('a', 'site-a', 26, 119.3, 1);
    s.addNode('b', 'site-b', 26.1, 119.4, 1, 'nvidia');
    const r = s.manager.submit({ ...trading('site-a'), class: 'batch', latency: undefined, needs: { accelerators: 1, domesticOnly: true } });
    if (!r.ok) throw new Error('spec');
    expect(r.workload.nodeId).toBe('a');
    const bad = s.manager.move(r.workload.id, 'b');
    expect(bad).toMatchObject({ ok: false, status: 409 });
    expect(s.manager.move(r.workload.id, 'zz')).toMatchObject({ ok: false, status: 404 });
    s.addNode('c', 'site-c', 26.2, 119.5, 1);
    expect(s.manager.move(r.workload.id, 'c')).toMatchObject({ ok: true });
    expect(s.manager.get(r.workload.id)!.nodeId).toBe('c');
    expect(s.fleet.get('a')!.accelerators[0]!.allocatedTo).toBeUndefined();
    s.manager.stop(r.workload.id);
    expect(s.manager.get(r.workload.id)!.state).toBe('stopped');
    expect(s.fleet.get('c')!.accelerators[0]!.allocatedTo).toBeUndefined();
  });

  it('preempts batch work for a latency-critical workload when nothing else fits, and re-queues it', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('only', 'site-a', 26, 119.3, 1);
    const batch = s.manager.submit({ ...trading('site-a'), name: 'train', class: 'batch', latency: undefined });
    if (!batch.ok) throw new Error('spec');
    expect(batch.workload.nodeId).toBe('only');
    const urgent = s.manager.submit({ ...trading('site-a'), name: 'protect', class: 'grid-protection' });
    if (!urgent.ok) throw new Error('spec');
    expect(urgent.workload).toMatchObject({ state: 'placed', nodeId: 'only' });
    expect(s.manager.get(batch.workload.id)!.state).toBe('evicted');
    const requeued = s.manager.list().find((w) => w.id !== batch.workload.id && w.spec.name === 'train');
    expect(requeued?.state).toBe('pending');
    expect(requeued?.explain?.blockedBy).toBeTruthy();
  });

  it('survives a restart: restore re-validates and reservations come back with the nodes', () => {
    const s = setup();
    cleanup = s.manager;
    const n = s.addNode('a', 'site-a', 26, 119.3, 2);
    const r = s.manager.submit({ ...trading('site-a'), class: 'batch', latency: undefined });
    if (!r.ok) throw new Error('spec');
    s.ack(s.sent[0]!);
    const stored = JSON.parse(JSON.stringify(s.manager.snapshot())) as unknown[];
    const s2 = setup();
    const out = s2.manager.restore([...stored, { junk: true }]);
    expect(out.restored).toBe(1);
    expect(out.problems).toHaveLength(1);
    s2.changed(n);
    expect(s2.manager.get(r.workload.id)).toMatchObject({ state: 'running', nodeId: 'a' });
    expect(s2.fleet.get('a')!.accelerators.find((a) => a.allocatedTo)?.allocatedTo?.workload).toBe(r.workload.id);
    s2.manager.close();
  });

  it('a new leader re-sends each pinned workload\'s last dispatch under the same correlation id, and learns where it stands', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('a', 'site-a', 26, 119.3, 2);
    const placed = s.manager.submit({ ...trading('site-a'), name: 'p', class: 'batch', latency: undefined });
    const running = s.manager.submit({ ...trading('site-a'), name: 'r', class: 'batch', latency: undefined });
    if (!placed.ok || !running.ok) throw new Error('spec');
    s.ack(s.sent[1]!);
    const stored = JSON.parse(JSON.stringify(s.manager.snapshot())) as unknown[];
    const first = new Map(s.sent.map((x) => [x.action.action === 'run' ? x.action.run.workloadId : '', x.correlationId]));
    // The successor: same store, same fleet; the node is online, one more is not.
    const s2 = setup();
    s2.addNode('a', 'site-a', 26, 119.3, 2);
    s2.manager.restore(stored);
    expect(s2.manager.resendDispatches((id) => id === 'a')).toBe(2);
    expect(s2.sent.map((x) => [x.action.action === 'run' ? x.action.run.workloadId : '', x.correlationId]).sort()).toEqual([...first.entries()].sort());
    // The agent answers the placed one: it runs.
    s2.ack(s2.sent.find((x) => x.action.action === 'run' && x.action.run.workloadId === placed.workload.id)!);
    expect(s2.manager.get(placed.workload.id)!.state).toBe('running');
    expect(s2.manager.resendDispatches(() => false)).toBe(0);
    s2.manager.close();
  });

  it('runs work for another city under its cross-city SLO, gives it back when it does not fit or is evicted, and retries it when offered again', () => {
    const s = setup();
    cleanup = s.manager;
    const assignment = (id: string, accelerators: number) => ({
      id,
      origin: 'city-a',
      spec: { name: 'far-job', tenant: 'acme', class: 'batch', run: { runner: 'simulated', durationMs: 60_000 }, needs: { accelerators }, overflow: 'allow' },
      near: { lat: 26, lon: 119.3 },
      maxRttMs: null,
      accelerators,
      vendors: [],
      domesticOnly: false,
    });
    const none = s.manager.acceptForeign(assignment('w-big', 4));
    expect(none).toMatchObject({ state: 'stopped', origin: { city: 'city-a', refusedReason: expect.stringMatching(/^no node fits/) } });
    s.addNode('four', 'site-a', 26, 119.3, 4);
    // The same id offered again: the refusal is retried, on the same record.
    const again = s.manager.acceptForeign(assignment('w-big', 4));
    expect(again).toMatchObject({ state: 'placed', nodeId: 'four', origin: { refusedReason: null } });
    const w = again as ReturnType<typeof s.manager.get> & object;
    expect(w.spec.latency).toEqual({ to: { lat: 26, lon: 119.3 }, maxRttMs: 1_000_000 });
    expect(w.spec.overflow.allowed).toBe(false);
    expect(s.manager.acceptForeign({ ...assignment('w-big', 4), origin: 'city-z' })).toEqual({ refused: 'id w-big is in use here' });
    // Evicted by local work: given back, not re-queued here under a new id.
    const urgent = s.manager.submit({ ...trading('site-a'), name: 'protect', class: 'grid-protection', needs: { accelerators: 4 } });
    expect(urgent.ok && urgent.workload.state).toBe('placed');
    expect(s.manager.get('w-big')).toMatchObject({ state: 'evicted', origin: { refusedReason: expect.stringMatching(/^evicted here/) } });
    expect(s.manager.list().filter((x) => x.spec.name === 'far-job')).toHaveLength(1);
    // Not this city's to overflow again, and not listed among its own asks.
    expect(s.manager.overflowAsks().asks).toEqual([]);
  });

  it('asks the upstream for work that fits nowhere here, and follows its word until the work ends elsewhere', () => {
    const s = setup();
    cleanup = s.manager;
    s.addNode('two', 'site-a', 26, 119.3, 2);
    const r = s.manager.submit({ ...trading('site-a'), class: 'batch', latency: undefined, needs: { accelerators: 4 }, overflow: 'allow' });
    if (!r.ok) throw new Error('spec');
    const home = s.manager.submit({ ...trading('site-a'), name: 'home', class: 'batch', latency: undefined, needs: { accelerators: 4 } });
    if (!home.ok) throw new Error('spec');
    expect(s.manager.overflowAsks().asks.map((w) => w.id)).toEqual([r.workload.id]);
    const outcome = { id: r.workload.id, city: 'city-b', tried: [], site: 's9', district: 'd9', rttMs: 3, usage: { acceleratorHours: 0, pflopsHoursNominal: 0, pflopsHoursMeasured: null, entries: 0 }, atMs: 1 };
    s.manager.applyOverflow({ ...outcome, state: 'assigned', reason: 'city-b has room' });
    expect(s.manager.get(r.workload.id)).toMatchObject({ state: 'overflowed', nodeId: null, overflow: { city: 'city-b', final: false } });
    // Running elsewhere: local ticks leave it alone even when a node that fits arrives.
    s.addNode('four', 'site-a', 26, 119.3, 4);
    s.manager.tick();
    expect(s.manager.get(r.workload.id)!.state).toBe('overflowed');
    s.manager.applyOverflow({ ...outcome, state: 'completed', reason: 'exit 0', usage: { acceleratorHours: 2, pflopsHoursNominal: 0.3, pflopsHoursMeasured: null, entries: 1 } });
    expect(s.manager.get(r.workload.id)).toMatchObject({ state: 'completed', overflow: { final: true, usage: { acceleratorHours: 2 } } });
    expect(s.manager.overflowAsks()).toEqual({ asks: [], cancels: [] });
  });
});

