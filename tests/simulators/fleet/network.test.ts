import { describe, expect, it } from 'vitest';
import { NetworkModel, netPointAt } from '../../../simulators/fleet/network.ts';
import { DISTRICTS, SITES, districtById, haversineKm, siteById } from '../../../orchestrator/geo/city.ts';

const at = (id: string) => netPointAt(siteById(id)!);

describe('Fuzhou geography', () => {
  it('has the 12 districts and every site within 20 km of its district seat', () => {
    expect(DISTRICTS).toHaveLength(12);
    expect(new Set(SITES.map((s) => s.id)).size).toBe(SITES.length);
    for (const s of SITES) expect(haversineKm(s, districtById(s.district)!)).toBeLessThan(20);
  });
});

describe('fleet network model', () => {
  it('is deterministic per seed and per (pair, probe number), whatever the call order', () => {
    const a = at('fz-mawei-plant-3');
    const b = at('fz-gulou-dc-1');
    const n1 = new NetworkModel({ seed: 42 });
    const n2 = new NetworkModel({ seed: 42 });
    const forward = [0, 1, 2, 3].map((i) => n1.probe(a, b, i));
    const backward = [3, 2, 1, 0].map((i) => n2.probe(a, b, i)).reverse();
    expect(forward).toEqual(backward);
    const other = [0, 1, 2, 3].map((i) => new NetworkModel({ seed: 43 }).probe(a, b, i));
    expect(other).not.toEqual(forward);
  });

  it('never goes below fibre propagation plus access, and grows with distance', () => {
    const net = new NetworkModel({ seed: 1, loss: 0 });
    const mawei = at('fz-mawei-plant-3');
    const near = at('fz-mawei-substation-1');
    const far = at('fz-luoyuan-substation-1');
    expect(net.baseRttMs(mawei, far)).toBeGreaterThan(net.baseRttMs(mawei, near));
    for (let i = 0; i < 50; i++) {
      const p = net.probe(mawei, far, i);
      expect(p.lost).toBe(false);
      if (!p.lost) expect(p.rttMs).toBeGreaterThanOrEqual(net.baseRttMs(mawei, far));
    }
    expect(net.baseRttMs(mawei, far)).toBeGreaterThan(2 * 0.005 * haversineKm(mawei, far));
  });

  it('cuts a partitioned district off from the others but not from itself, until healed; degradation adds delay', () => {
    const net = new NetworkModel({ seed: 5, loss: 0 });
    const m1 = at('fz-mawei-plant-1');
    const m2 = at('fz-mawei-plant-2');
    const g = at('fz-gulou-dc-1');
    net.partition('mawei');
    expect(net.probe(m1, g, 0)).toEqual({ lost: true, reason: 'partition' });
    expect(net.probe(m1, m2, 0).lost).toBe(false);
    net.heal('mawei');
    expect(net.probe(m1, g, 0).lost).toBe(false);
    const before = net.probe(m1, g, 7);
    net.degrade('gulou', { extraRttMs: 30, extraLoss: 0 });
    const after = net.probe(m1, g, 7);
    expect(!before.lost && !after.lost && after.rttMs - before.rttMs).toBeGreaterThan(29);
  });
});
