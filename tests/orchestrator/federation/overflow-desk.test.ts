// The upstream's overflow desk on hand-made summaries: which member city it picks and why, a city
// that gives work back, no city that fits, and a stop at the origin reaching the runner.
import { describe, expect, it } from 'vitest';
import type { CitySummary, Landmark, MemberOverflow, OverflowReport, OverflowWork } from '../../../protocol/federation.ts';
import { OverflowDesk, type DeskMember } from '../../../orchestrator/federation/overflow-desk.ts';

const LANDMARKS: Landmark[] = [
  { id: 'fuzhou', lat: 26.07, lon: 119.3 },
  { id: 'xiamen', lat: 24.48, lon: 118.09 },
];

function summary(city: string, free: { district: string; vendor: string; domestic: boolean; largest: number }[], rtt: Record<string, Record<string, number>>): CitySummary {
  const zero = { pflops: 0, domesticPflops: 0, domesticShare: 0, unknownCount: 0 };
  return {
    city,
    seq: 1,
    atMs: 0,
    nodes: { total: 1, online: 1, offline: 0, unknown: 0 },
    accelerators: 8,
    nominal: zero,
    measured: zero,
    byVendor: [],
    free: free.map((f) => ({ district: f.district, vendor: f.vendor, domestic: f.domestic, freeAccelerators: f.largest, freeNominalPflops: 0, largestFreeOnOneNode: f.largest })),
    latency: Object.entries(rtt).flatMap(([region, byLm]) => Object.entries(byLm).map(([landmark, ms]) => ({ region, landmark, bestRttMs: ms, medianRttMs: ms, basis: 'model' as const, nodes: 1 }))),
  };
}

const near = { lat: 26.07, lon: 119.3 };
const work = (id: string, o: Partial<OverflowWork> = {}): OverflowWork => ({ id, spec: { name: id }, near, maxRttMs: null, accelerators: 4, vendors: [], domesticOnly: false, ...o });
const asks = (...w: OverflowWork[]): MemberOverflow => ({ asks: w, cancels: [], reports: [] });
const none: MemberOverflow = { asks: [], cancels: [], reports: [] };
const report = (id: string, origin: string, state: OverflowReport['state'], reason = ''): OverflowReport => ({
  id,
  origin,
  state,
  reason,
  site: 's1',
  district: 'd1',
  rttMs: 1,
  usage: { acceleratorHours: 2, pflopsHoursNominal: 0.5, pflopsHoursMeasured: null, entries: 1 },
  atMs: 1,
});

// b is near Fuzhou, c is near Xiamen; both have 4 free cards on one node; a asks.
const members: DeskMember[] = [
  { city: 'a', latest: summary('a', [{ district: 'gulou', vendor: 'huawei', domestic: true, largest: 2 }], { gulou: { fuzhou: 1 } }) },
  { city: 'b', latest: summary('b', [{ district: 'mawei', vendor: 'nvidia', domestic: false, largest: 4 }], { mawei: { fuzhou: 2, xiamen: 9 } }) },
  { city: 'c', latest: summary('c', [{ district: 'siming', vendor: 'huawei', domestic: true, largest: 8 }], { siming: { fuzhou: 9, xiamen: 1 } }) },
];

describe('OverflowDesk', () => {
  it('offers work to the member city nearest its target that fits, never back to its own city', () => {
    const desk = new OverflowDesk(() => LANDMARKS);
    const [o] = desk.exchange('a', asks(work('w1')), members).outcomes;
    expect(o).toMatchObject({ id: 'w1', state: 'assigned', city: 'b', district: 'mawei' });
    expect(o!.reason).toMatch(/b has 4 free nvidia on one node in mawei, estimated RTT 2\.0 ms/);
    // The runner hears of it in its own exchange; the other city does not.
    expect(desk.exchange('b', none, members).assignments.map((x) => [x.id, x.origin])).toEqual([['w1', 'a']]);
    expect(desk.exchange('c', none, members).assignments).toEqual([]);
    // Vendor and domestic needs rule b out: c it is.
    expect(desk.exchange('a', asks(work('w1'), work('w2', { domesticOnly: true })), members).outcomes[1]).toMatchObject({ id: 'w2', state: 'assigned', city: 'c' });
  });

  it('tries the next city when one gives work back, and says why when none fits', () => {
    const desk = new OverflowDesk(() => LANDMARKS);
    desk.exchange('a', asks(work('w1')), members);
    desk.exchange('b', { ...none, reports: [report('w1', 'a', 'refused', 'no node fits: capacity')] }, members);
    const again = desk.exchange('a', asks(work('w1')), members).outcomes[0]!;
    expect(again).toMatchObject({ state: 'assigned', city: 'c', tried: ['b'] });
    desk.exchange('c', { ...none, reports: [report('w1', 'a', 'refused', 'evicted')] }, members);
    const nowhere = desk.exchange('a', asks(work('w1')), members).outcomes[0]!;
    expect(nowhere.state).toBe('unplaced');
    expect(nowhere.reason).toMatch(/no member city fits: .*b: gave it back before; c: gave it back before/);
    // The SLO across cities rules a city out by its estimate, and the reason says by how much.
    const far = desk.exchange('a', asks(work('w3', { maxRttMs: 1.5 })), members).outcomes.find((x) => x.id === 'w3')!;
    expect(far.state).toBe('unplaced');
    expect(far.reason).toMatch(/b: nearest fitting district estimated 2\.0 ms from its target, over its 1\.5 ms cross-city SLO/);
  });

  it('carries a stop at the origin to the runner, and the runner\'s last usage back, then forgets the work', () => {
    const desk = new OverflowDesk(() => LANDMARKS);
    desk.exchange('a', asks(work('w1')), members);
    desk.exchange('b', none, members);
    desk.exchange('b', { ...none, reports: [report('w1', 'a', 'running', 'pid 7')] }, members);
    expect(desk.exchange('a', asks(work('w1')), members).outcomes[0]).toMatchObject({ state: 'running', city: 'b', site: 's1' });
    // a stopped it: it lists it under cancels until the final word comes.
    expect(desk.exchange('a', { ...none, cancels: ['w1'] }, members).outcomes[0]!.state).toBe('running');
    const toB = desk.exchange('b', { ...none, reports: [report('w1', 'a', 'running')] }, members);
    expect(toB.cancels).toEqual([{ id: 'w1', origin: 'a' }]);
    expect(toB.assignments).toEqual([]);
    expect(desk.exchange('b', { ...none, reports: [report('w1', 'a', 'stopped', 'stopped by a, its city')] }, members).cancels).toEqual([]);
    const last = desk.exchange('a', { ...none, cancels: ['w1'] }, members).outcomes[0]!;
    expect(last).toMatchObject({ state: 'stopped', usage: { acceleratorHours: 2, pflopsHoursNominal: 0.5 } });
    desk.exchange('a', none, members);
    expect(desk.stats().open).toBe(0);
    // A cancel the desk never heard of is final at once; a report for work not assigned there is counted, not taken.
    expect(desk.exchange('a', { ...none, cancels: ['ghost'] }, members).outcomes[0]).toMatchObject({ id: 'ghost', state: 'stopped', city: null });
    desk.exchange('c', { ...none, reports: [report('w9', 'a', 'running')] }, members);
    expect(desk.stats().strayReports).toBe(1);
  });

  it('cancels work its city no longer asks for, and drops work no city took yet', () => {
    const desk = new OverflowDesk(() => LANDMARKS);
    desk.exchange('a', asks(work('w1'), work('w2', { accelerators: 64 })), members);
    expect(desk.stats().byState).toEqual({ assigned: 1, unplaced: 1 });
    desk.exchange('a', none, members);
    expect(desk.stats()).toMatchObject({ open: 1, byState: { assigned: 1 } });
    expect(desk.exchange('b', none, members).cancels).toEqual([{ id: 'w1', origin: 'a' }]);
  });
});
