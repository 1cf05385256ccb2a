import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyModel, coordinateEffectiveMs } from '../../../orchestrator/latency/model.ts';
import { Rng } from '../../../simulators/fleet/rng.ts';
import { SAME_PLACE_RTT_FLOOR_MS, geoRttMs } from '../../../orchestrator/latency/geo.ts';
import { KNOWN_PLACES, LANDMARKS, SITES, siteById } from '../../../orchestrator/geo/city.ts';
import { ACCESS_MS, NetworkModel, netPointAt, type NetPoint } from '../../../simulators/fleet/network.ts';

/** A synthetic metric space: points on a plane plus an access height, RTT = distance + heights. */
function synthetic(n: number, seed: number) {
  const rng = new Rng(seed);
  const pts = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, x: rng.next() * 40, y: rng.next() * 40, h: 0.5 + rng.next() }));
  const rtt = (a: number, b: number) => Math.hypot(pts[a]!.x - pts[b]!.x, pts[a]!.y - pts[b]!.y) + pts[a]!.h + pts[b]!.h;
  return { pts, rtt, rng };
}

describe('Vivaldi latency model', () => {
  it('converges on a synthetic metric space: held-out median relative error under 10 %', () => {
    const { pts, rtt, rng } = synthetic(60, 7);
    const model = new LatencyModel();
    const heldOut = (a: number, b: number) => (a * 31 + b * 17) % 5 === 0;
    for (let round = 0; round < 120; round++) {
      for (let a = 0; a < pts.length; a++) {
        const b = rng.int(0, pts.length - 1);
        if (a === b || heldOut(Math.min(a, b), Math.max(a, b))) continue;
        model.observe(pts[a]!.id, pts[b]!.id, rtt(a, b));
      }
    }
    const errs: number[] = [];
    for (let a = 0; a < pts.length; a++)
      for (let b = a + 1; b < pts.length; b++) {
        if (!heldOut(a, b)) continue;
        const e = model.estimate(pts[a]!.id, pts[b]!.id)!;
        expect(e.measured).toBe(false);
        errs.push(Math.abs(e.rttMs - rtt(a, b)) / rtt(a, b));
      }
    errs.sort((x, y) => x - y);
    expect(errs[errs.length >> 1]!).toBeLessThan(0.1);
  });

  it('says measured for a probed pair (median of the window) and estimated, with an error bound, otherwise', () => {
    const model = new LatencyModel({ window: 5 });
    for (const r of [3, 3.2, 50, 3.1, 2.9]) model.observe('a', 'b', r);
    model.observe('b', 'c', 4);
    expect(model.estimate('a', 'b')).toEqual({ rttMs: 3.1, measured: true, errorMs: 0 });
    const ac = model.estimate('a', 'c')!;
    expect(ac.measured).toBe(false);
    expect(ac.errorMs).toBeGreaterThan(0);
    expect(model.estimate('a', 'nobody')).toBeUndefined();
  });

  it('reaches a lat/lon or site target through the nearest located point plus a propagation leg', () => {
    const model = new LatencyModel();
    model.observe('n1', 'n2', 2);
    model.setLocation('n1', { lat: 26.08, lon: 119.3 });
    model.setLocation('site-x', { lat: 26.08, lon: 119.3 }, { place: true });
    expect(model.estimateTo('n2', { site: 'site-x' })).toEqual({ rttMs: 2, measured: true, errorMs: 0 });
    const far = model.estimateTo('n2', { lat: 26.08, lon: 119.4 })!; // ≈10 km east of n1
    expect(far.measured).toBe(false);
    expect(far.rttMs).toBeCloseTo(2 + 2 * 0.005 * 2.22 * 9.99, 1);
    expect(far.errorMs).toBeCloseTo(far.rttMs - 2, 6);
    expect(model.estimateTo('n2', { site: 'unknown' })).toBeUndefined();
  });

  it("estimates a node's RTT to its own site as the site's own network (never 0, never measured)", () => {
    const model = new LatencyModel();
    model.observe('n1', 'n2', 2);
    const at = { lat: 26.08, lon: 119.3 };
    model.setLocation('n1', at);
    model.setLocation('factory-x', at, { place: true, sameSiteRttMs: 1 });
    model.setLocation('plain-x', at, { place: true });
    // Issue 20: the node standing on the site read "0.00 ms measured".
    expect(model.estimateTo('n1', { site: 'factory-x' })).toEqual({ rttMs: 1, measured: false, errorMs: 1 });
    // A place that says nothing, or a lat/lon on the node: the LAN floor, still an estimate.
    expect(model.estimateTo('n1', { site: 'plain-x' })).toEqual({ rttMs: SAME_PLACE_RTT_FLOOR_MS, measured: false, errorMs: SAME_PLACE_RTT_FLOOR_MS });
    expect(model.estimateTo('n1', at)).toMatchObject({ rttMs: SAME_PLACE_RTT_FLOOR_MS, measured: false });
    // Re-registering the place without a figure (a node's birth names its site) keeps the figure.
    model.setLocation('factory-x', at, { place: true });
    expect(model.estimateTo('n1', { site: 'factory-x' })!.rttMs).toBe(1);
    // Another node reaches the site through n1, as measured.
    expect(model.estimateTo('n2', { site: 'factory-x' })).toEqual({ rttMs: 2, measured: true, errorMs: 0 });
  });

  it("gives each city site kind its access latency as the same-site RTT (the simulator's table)", () => {
    for (const p of KNOWN_PLACES) {
      const s = siteById(p.id)!;
      expect(p.sameSiteRttMs).toBe(2 * ACCESS_MS[s.kind]);
      expect(p.sameSiteRttMs).toBeGreaterThanOrEqual(SAME_PLACE_RTT_FLOOR_MS);
    }
  });

  it('gives a never-measured point the geographic estimate with a 100 % error bound, not an origin coordinate', () => {
    const model = new LatencyModel();
    model.observe('m1', 'm2', 3);
    const a = { lat: 26.08, lon: 119.3 };
    const b = { lat: 26.08, lon: 119.65 }; // ≈35 km east
    model.setLocation('u1', a);
    model.setLocation('u2', b);
    const g = geoRttMs(a, b);
    expect(model.estimate('u1', 'u2')).toEqual({ rttMs: g, measured: false, errorMs: g });
    // One end measured, the other not: still geographic, and nothing without a location.
    model.setLocation('m1', a);
    expect(model.estimate('m1', 'u2')).toEqual({ rttMs: g, measured: false, errorMs: g });
    expect(model.estimate('m2', 'u2')).toBeUndefined();
    const to = model.estimateTo('u1', { landmark: 'u2' })!;
    expect(to.rttMs + to.errorMs).toBeGreaterThan(1.5);
    expect(to.measured).toBe(false);
  });

  it('keeps a point fitted from a single sample near Serf\'s starting error (≈1.5)', () => {
    const model = new LatencyModel();
    model.observe('a', 'b', 2);
    model.observe('b', 'c', 2);
    expect(model.coordinate('c')!.error).toBeGreaterThan(1);
    const ac = model.estimate('a', 'c')!;
    expect(ac.measured).toBe(false);
    expect(ac.errorMs).toBeGreaterThan(ac.rttMs);
  });

  it('hands out coordinates and target geometry that give every coordinate estimate to the bit, and names every other estimate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (seed, geoLeg) => {
        const { pts, rtt, rng } = synthetic(30, seed);
        const model = new LatencyModel();
        for (let i = 0; i < 400; i++) {
          const a = rng.int(0, 29);
          const b = rng.int(0, 29);
          if (a !== b) model.observe(pts[a]!.id, pts[b]!.id, rtt(a, b));
        }
        for (const p of pts) model.setLocation(p.id, { lat: 26 + p.y / 10, lon: 119 + p.x / 10 });
        // A never-measured point, and a target that is a place reached through its nearest point.
        model.setLocation('u0', { lat: 27, lon: 120 });
        if (geoLeg) model.setLocation('site-x', { lat: 26.5 + rng.next(), lon: 119.5 + rng.next() }, { place: true });
        const target = geoLeg ? { site: 'site-x' } : { landmark: 'p0' };
        const g = model.geometryOf(target);
        // A target reached through a point never fitted has only geographic estimates: no geometry.
        if (g === undefined) {
          expect(model.anchorOf(target)!.fits).toBe(0);
          return;
        }
        expect(g.otherwise).toContain(g.anchor.id);
        for (const id of [...pts.map((p) => p.id), 'u0']) {
          const est = model.estimateTo(id, target)!;
          const c = model.fittedCoordinate(id);
          if (c === undefined || g.otherwise.includes(id)) continue;
          expect(coordinateEffectiveMs(c.x, c.y, c.height, c.error, g.anchor)).toBe(est.rttMs + est.errorMs);
          expect(est.measured).toBe(false);
        }
        // The never-fitted point has no coordinate to hand out: its estimate is geographic.
        expect(model.fittedCoordinate('u0')).toBeUndefined();
        // Past the limit on exceptions, no geometry: the caller uses the model's own estimates.
        expect(model.geometryOf(target, g.otherwise.length - 2)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

});

describe('error calibration', () => {
  /** 600 nodes over Fuzhou's sites probing 8 random peers and the landmarks each round, as agents do. */
  function cityModel(rounds: number) {
    const net = new NetworkModel({ seed: 5 });
    const rng = new Rng(5);
    const points = Array.from({ length: 600 }, (_, i) => netPointAt(rng.pick(SITES), `n${i}`));
    const landmarks = LANDMARKS.map((l) => netPointAt(l));
    const model = new LatencyModel();
    let k = 0;
    const probe = (a: NetPoint, b: NetPoint) => {
      const r = net.probe(a, b, k++);
      if (!r.lost && a.id !== b.id) model.observe(a.id, b.id, r.rttMs);
    };
    for (let round = 0; round < rounds; round++) {
      for (const p of points) {
        for (let j = 0; j < 8; j++) probe(p, rng.pick(points));
        for (const l of landmarks) probe(p, l);
      }
    }
    return { model, net, points, rng };
  }

  it('scales Vivaldi\'s error until it bounds pairs the fit never saw: in a city with a regional ring, not without', () => {
    const { model, net, points, rng } = cityModel(4);
    let raw = 0;
    let calibrated = 0;
    let pairs = 0;
    while (pairs < 3000) {
      const a = rng.pick(points);
      const b = rng.pick(points);
      const est = model.estimate(a.id, b.id);
      if (a.id === b.id || !est || est.measured) continue;
      pairs++;
      const truth = net.baseRttMs(a, b);
      if (truth > est.rttMs + est.errorMs / model.errorScale) raw++;
      if (truth > est.rttMs + est.errorMs) calibrated++;
    }
    // Vivaldi's own error is how well a node fits its probed peers: across the ring it is no bound.
    expect(raw / pairs).toBeGreaterThan(0.1);
    expect(model.errorScale).toBeGreaterThan(1);
    expect(calibrated / pairs).toBeLessThan(0.02);
  });

  it('changes its scale as a wide change: every cached figure is rebuilt, no drift bound spans it', () => {
    const model = new LatencyModel({ calibration: { after: 4, every: 1 } });
    // A line of points 1 ms apart, fitted pair by pair.
    for (let r = 0; r < 40; r++) for (let i = 0; i < 5; i++) model.observe(`p${i}`, `p${i + 1}`, 1);
    const before = model.errorScale;
    const version = model.version;
    const anchor = model.anchorOf({ landmark: 'p0' })!;
    // New pairs, each far above what the fit says: their residuals lift the scale.
    for (let i = 0; i < 4; i++) model.observe(`p${i}`, `p${i + 2}`, 30);
    expect(model.errorScale).toBeGreaterThan(before);
    expect(model.movedSince(version)).toBeNull();
    expect(model.anchorDrift({ landmark: 'p0' }, anchor)).toBeNull();
    expect(model.anchorOf({ landmark: 'p0' })!.errorScale).toBe(model.errorScale);
    // Scaled in steps of 2^¼, never past 16.
    const steps = Math.log(model.errorScale) / Math.log(2 ** 0.25);
    expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-9);
    expect(model.errorScale).toBeLessThanOrEqual(16);
    // The stated error is Vivaldi's, averaged over both ends, times the scale.
    const now = model.estimate('p0', 'p5')!;
    const [a, b] = [model.coordinate('p0')!, model.coordinate('p5')!];
    expect(now.errorMs).toBeCloseTo((now.rttMs * (a.error + b.error) * model.errorScale) / 2, 12);
  });
});
