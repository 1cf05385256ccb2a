// The orchestrator's latency model: measured RTT where a pair has been probed (median of a
// recent window), elsewhere a Vivaldi estimate with an error bound. A point no sample has fitted
// yet has no coordinate worth trusting: its estimates are geographic, with a 100 % error bound.
// Points are nodes and fixed places (landmarks, site probes); places without probes are reached
// through the nearest located point plus a geographic propagation term (see estimateTo).
import { DEFAULT_VIVALDI, coordinateDistance, originCoordinate, vivaldiUpdate, type Coordinate, type VivaldiConfig } from './vivaldi.ts';
import { SAME_PLACE_RTT_FLOOR_MS, geoRttMs, haversineKm, type LatLon } from './geo.ts';
import type { AnchorState, Drift, LatencyTarget, RttEstimate, TargetGeometry } from './types.ts';
import { SampleWindows } from './windows.ts';
import { entries, slotOf, withPeer, withoutPeer, type PeerSlots } from './peer-slots.ts';

export interface LatencyModelOptions {
  vivaldi?: VivaldiConfig;
  /** Samples per pair kept for the measured median. */
  window?: number;
  /** The error calibration's pace (see errorScale): residuals before the first, and between two. */
  calibration?: { after: number; every: number };
}

interface Point {
  readonly id: string;
  readonly coord: Coordinate;
  location?: LatLon;
  /** Vivaldi updates applied to this point's coordinate. */
  fits: number;
}

/** A target resolved to a point plus the geographic leg from that point to the place. */
interface Resolved {
  anchor: Point;
  geoMs: number;
  /** Set when the target is a place (not a point): the anchor's own RTT to it is at least this. */
  sameSiteMs?: number;
}

interface Place extends LatLon {
  sameSiteRttMs?: number;
}

const CHANGE_LOG_VERSIONS = 1 << 16;

/**
 * The error calibration (see errorScale, calibrate): out-of-sample residuals kept, how many it
 * waits for and how often it is taken again, the quantile it covers, its steps, the fits a pair's
 * ends need for its first sample to count, and its ceiling.
 */
const RESIDUALS = 4096;
const CALIBRATION = { after: 256, every: 512 };
const CALIBRATION_QUANTILE = 0.995;
const SCALE_STEP = 2 ** 0.25;
/** Fits both ends need before a first sample counts: placements read settled coordinates, not newborn ones. */
const SETTLED_FITS = 16;
const MAX_ERROR_SCALE = 16;

export class LatencyModel {
  private readonly cfg: VivaldiConfig;
  private readonly calibration: { after: number; every: number };
  private readonly window: number;
  private readonly points = new Map<string, Point>();
  private readonly places = new Map<string, Place>();
  /**
   * Each point's probed peers, with where the pair's recent samples are in `samples`; both ends
   * name the same window. No per-pair key or array: at a city's size those were most of the model.
   */
  private readonly probed = new Map<string, PeerSlots>();
  private readonly samples: SampleWindows;
  private readonly resolvedCache = new Map<string, Resolved | null>();
  private changes = 0;
  /** Two point ids per version since logBase: the ends of that version's sample ('' for other changes). */
  private readonly changeLog: string[] = [];
  private logBase = 0;
  /** The last version whose change could move estimates of points it does not name. */
  private lastWideChange = 0;
  /** What Vivaldi's error estimates are multiplied by to be a bound (see calibrate). */
  private scale = 1;
  /** Out-of-sample residuals in units of the uncalibrated error, a ring of RESIDUALS. */
  private readonly residuals = new Float64Array(RESIDUALS);
  private residualCount = 0;

  constructor(opts: LatencyModelOptions = {}) {
    this.cfg = opts.vivaldi ?? DEFAULT_VIVALDI;
    this.window = opts.window ?? 8;
    this.calibration = opts.calibration ?? CALIBRATION;
    this.samples = new SampleWindows(this.window);
  }

  /**
   * The factor on Vivaldi's own error estimates that makes them a bound: a pair's first sample,
   * taken before it moves either coordinate, is a test the fit has not seen (counted once both
   * ends have settled), and the scale covers the 99.5th percentile of how far the last 4,096 were
   * above the estimate, in units of its error (steps of 2^¼, never below 1; placement takes the
   * node that looks nearest, the tail). Vivaldi's error is how well a node fits the peers it probes;
   * in a city whose outer counties sit behind a regional ring, an unprobed pair across it was
   * estimated 2–3 ms low with an error of 0.5 ms, so SLO work landed on nodes that missed it.
   */
  get errorScale(): number {
    return this.scale;
  }

  /** Grows whenever any estimate may have changed, so callers can cache orderings built on them. */
  get version(): number {
    return this.changes;
  }

  /**
   * The points whose estimate to the target may differ from what it was at `version` (a sample
   * moves only its two ends), or null when any may have: a location changed, a point left, the
   * target's anchor itself moved, or the log no longer reaches back that far.
   */
  changedSince(target: LatencyTarget, version: number): string[] | null {
    const ids = this.movedSince(version);
    const anchor = this.resolve(target)?.anchor.id;
    return ids === null || anchor === undefined || ids.includes(anchor) ? null : ids;
  }

  /** Points named by a sample since `version`, or null after a wider change or past the log. */
  movedSince(version: number): string[] | null {
    if (version < this.lastWideChange || version < this.logBase) return null;
    return this.changeLog.slice(2 * (version - this.logBase));
  }

  /** The target's anchor as it is now (see AnchorState); undefined when it cannot be resolved. */
  anchorOf(target: LatencyTarget): AnchorState | undefined {
    const r = this.resolve(target);
    return r && this.anchorState(r);
  }

  /**
   * For the points movedSince does not name, how far their effective RTT to the target can have
   * fallen since the anchor was `then`: now ≥ scale · then − shiftMs. Null when no such bound holds
   * (another anchor or geographic leg, or the anchor first fitted since).
   * Why it holds for a Vivaldi estimate rtt·k, k = 1 + s(e_p + e_a)/2, e ≤ errorMax, s the error
   * scale: the anchor moving d in the plane and h in height changes rtt by at least −max(0, d − h),
   * and its error going from e_a to e_a' scales k by at least 1 − s·max(0, e_a − e_a')/(2 + s·e_a).
   * Measured and geographic estimates do not depend on the anchor's coordinate; the geographic leg
   * adds 2·geoMs on both sides, which a scale ≤ 1 keeps valid. A new error scale moves every
   * estimate (it is a wide change): no bound.
   */
  anchorDrift(target: LatencyTarget, then: AnchorState): Drift | null {
    const now = this.anchorOf(target);
    if (!now || now.id !== then.id || now.geoMs !== then.geoMs || now.errorScale !== then.errorScale) return null;
    if (now.fits === then.fits) return { scale: 1, shiftMs: 0 };
    if (then.fits === 0) return null;
    const s = now.errorScale;
    const closer = Math.max(0, Math.hypot(now.x - then.x, now.y - then.y) - (now.height - then.height));
    return {
      scale: 1 - (s * Math.max(0, then.error - now.error)) / (2 + s * then.error),
      shiftMs: closer * (1 + (s * (this.cfg.errorMax + now.error)) / 2),
    };
  }

  /** Feed one RTT sample between two points (nodes, landmarks); unknown ids are added. */
  observe(a: string, b: string, rttMs: number): void {
    if (a === b || !(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    if (!this.points.has(a) || !this.points.has(b)) this.wideChange();
    const pa = this.point(a);
    const pb = this.point(b);
    // The points' own id strings from here on: each report decodes fresh copies of the ids, and
    // the change log and the probed maps would otherwise keep one of those per sample or pair.
    a = pa.id;
    b = pb.id;
    this.logChange(a, b);
    let slot = slotOf(this.probed.get(a), b);
    if (slot === undefined) {
      this.testEstimate(pa, pb, rttMs);
      slot = this.samples.open();
      this.link(a, b, slot);
      this.link(b, a, slot);
    }
    this.samples.push(slot, rttMs);
    // Fit against the window's median, as Serf's latency filter does: one outlier moves nothing.
    const rtt = this.samples.median(slot);
    const before = { ...pa.coord };
    vivaldiUpdate(pa.coord, pb.coord, rtt, tieBreak(a, b), this.cfg);
    vivaldiUpdate(pb.coord, before, rtt, tieBreak(b, a), this.cfg);
    pa.fits++;
    pb.fits++;
  }

  /**
   * Where a point or a place is on the map; places without probes are reached through it. A
   * place may say what a node standing on it sees as its RTT to it (sameSiteRttMs); a later call
   * without one keeps it.
   */
  setLocation(id: string, location: LatLon, opts: { place?: boolean; sameSiteRttMs?: number } = {}): void {
    const old = opts.place ? this.places.get(id) : this.points.get(id)?.location;
    const sameSite = opts.sameSiteRttMs ?? (old as Place | undefined)?.sameSiteRttMs;
    if (old && old.lat === location.lat && old.lon === location.lon && (!opts.place || (old as Place).sameSiteRttMs === sameSite)) return;
    if (opts.place) this.places.set(id, { lat: location.lat, lon: location.lon, ...(sameSite !== undefined ? { sameSiteRttMs: sameSite } : {}) });
    else this.point(id).location = { lat: location.lat, lon: location.lon };
    this.resolvedCache.clear();
    this.wideChange();
  }

  /** Forget a node: its samples and coordinate go. */
  remove(id: string): void {
    const p = this.points.get(id);
    if (!p) return;
    const peers = this.probed.get(id);
    for (const [other, slot] of peers ? entries(peers) : []) {
      this.samples.close(slot);
      const theirs = this.probed.get(other);
      if (theirs) this.probed.set(other, withoutPeer(theirs, id));
    }
    this.probed.delete(id);
    this.points.delete(id);
    this.resolvedCache.clear();
    this.wideChange();
  }

  /** Whether a site or landmark target names a point or place this model knows (lat/lon always resolve). */
  knows(target: LatencyTarget): boolean {
    if ('landmark' in target) return this.points.has(target.landmark) || this.places.has(target.landmark);
    if ('site' in target) return this.points.has(target.site) || this.places.has(target.site);
    return true;
  }

  /** Where a target stands on the map, if this model knows it. */
  locate(target: LatencyTarget): LatLon | undefined {
    if ('lat' in target) return { lat: target.lat, lon: target.lon };
    const id = 'site' in target ? target.site : target.landmark;
    const at = this.places.get(id) ?? this.points.get(id)?.location;
    return at ? { lat: at.lat, lon: at.lon } : undefined;
  }

  /** Every named place and point (sites, landmarks, nodes): what a target may name. */
  names(): IterableIterator<string> {
    return new Set([...this.places.keys(), ...this.points.keys()]).values();
  }

  has(id: string): boolean {
    return this.points.has(id);
  }

  coordinate(id: string): Readonly<Coordinate> | undefined {
    return this.points.get(id)?.coord;
  }

  /**
   * RTT between two points: the measured median if the pair was probed, else Vivaldi ± error;
   * when either end was never fitted, the geographic estimate ± 100 % (undefined without both
   * locations).
   */
  estimate(a: string, b: string): RttEstimate | undefined {
    if (a === b) return this.points.has(a) ? { rttMs: 0, measured: true, errorMs: 0 } : undefined;
    const slot = slotOf(this.probed.get(a), b);
    if (slot !== undefined) return { rttMs: this.samples.median(slot), measured: true, errorMs: 0 };
    const pa = this.points.get(a);
    const pb = this.points.get(b);
    if (!pa || !pb) return undefined;
    if (pa.fits === 0 || pb.fits === 0) return geoEstimate(pa, pb);
    return coordinateEstimate(pa.coord, pb.coord, this.scale);
  }

  /**
   * RTT from a point to a workload's target.
   * - landmark, or a site that is itself a probed point: as estimate().
   * - any other site (registered with setLocation(id, loc, {place: true})) or lat/lon: the
   *   nearest located point P, then estimate(from, P) + 2·5 µs/km·2.22·distance(P, target).
   *   The geographic leg is unmeasured, so it is added to the error bound in full, and the
   *   answer counts as measured only when another point P sits on the target (leg 0).
   * - from P itself to such a place: nothing probes a node's own site, and its RTT is the site's
   *   own network, not 0: an estimate of the place's sameSiteRttMs (else SAME_PLACE_RTT_FLOOR_MS),
   *   or the geographic leg where that is longer, with a 100 % error bound.
   */
  estimateTo(from: string, target: LatencyTarget): RttEstimate | undefined {
    const r = this.resolve(target);
    return r && this.throughAnchor(from, r);
  }

  /**
   * estimateTo with the target resolved once, for asking about many points in a row (placement
   * asks thousands per decision): the anchor, its probed set and its point are looked up once, so
   * a call costs one lookup of `from` where estimateTo costs four. Same arithmetic, same figures.
   * Use it at once: it does not follow later changes to the model.
   */
  estimatorTo(target: LatencyTarget): (from: string) => RttEstimate | undefined {
    const r = this.resolve(target);
    if (!r) return () => undefined;
    const { anchor, geoMs } = r;
    const measuredWith = this.probed.get(anchor.id);
    const scale = this.scale;
    return (from) => {
      if (from === anchor.id || slotOf(measuredWith, from) !== undefined) return this.throughAnchor(from, r);
      const p = this.points.get(from);
      if (!p) return undefined;
      const base = p.fits === 0 || anchor.fits === 0 ? geoEstimate(p, anchor) : coordinateEstimate(p.coord, anchor.coord, scale);
      if (!base || geoMs === 0) return base;
      return { rttMs: base.rttMs + geoMs, measured: false, errorMs: base.errorMs + geoMs };
    };
  }

  /** A point's coordinate once a sample has fitted it (before that its estimates are geographic). */
  fittedCoordinate(id: string): Readonly<Coordinate> | undefined {
    const p = this.points.get(id);
    return p !== undefined && p.fits > 0 ? p.coord : undefined;
  }

  /**
   * How estimates to the target are made, for a caller that takes many from coordinates itself
   * (coordinateEffectiveMs): the anchor's coordinate and geographic leg, and the points whose
   * estimate is made otherwise (the anchor itself and the peers it was measured with). Undefined
   * when the target does not resolve, its anchor was never fitted (every estimate is then
   * geographic), or it was measured with more than `maxOtherwise` peers.
   */
  geometryOf(target: LatencyTarget, maxOtherwise = Infinity): TargetGeometry | undefined {
    const r = this.resolve(target);
    if (!r || r.anchor.fits === 0) return undefined;
    const { anchor } = r;
    const peers = this.probed.get(anchor.id);
    if (peers && (peers instanceof Map ? peers.size : peers.length / 2) > maxOtherwise) return undefined;
    const otherwise = [anchor.id];
    if (peers) for (const [id] of entries(peers)) otherwise.push(id);
    return { anchor: this.anchorState(r), otherwise };
  }

  /** What estimates through a resolved target's anchor are taken from now (AnchorState). */
  private anchorState({ anchor, geoMs }: Resolved): AnchorState {
    const c = anchor.coord;
    return { id: anchor.id, geoMs, fits: anchor.fits, x: c.x, y: c.y, height: c.height, error: c.error, errorScale: this.scale };
  }

  private throughAnchor(from: string, r: Resolved): RttEstimate | undefined {
    if (r.sameSiteMs !== undefined && from === r.anchor.id) {
      const rttMs = Math.max(r.sameSiteMs, r.geoMs);
      return { rttMs, measured: false, errorMs: rttMs };
    }
    const base = this.estimate(from, r.anchor.id);
    if (!base || r.geoMs === 0) return base;
    return { rttMs: base.rttMs + r.geoMs, measured: false, errorMs: base.errorMs + r.geoMs };
  }

  private resolve(target: LatencyTarget): Resolved | undefined {
    if ('landmark' in target) {
      const p = this.points.get(target.landmark);
      return p ? { anchor: p, geoMs: 0 } : undefined;
    }
    if ('site' in target) {
      const p = this.points.get(target.site);
      if (p) return { anchor: p, geoMs: 0 };
      const loc = this.places.get(target.site);
      return loc ? this.nearestLocated(`site:${target.site}`, loc, loc.sameSiteRttMs ?? SAME_PLACE_RTT_FLOOR_MS) : undefined;
    }
    return this.nearestLocated(`geo:${target.lat},${target.lon}`, target, SAME_PLACE_RTT_FLOOR_MS);
  }

  private nearestLocated(key: string, loc: LatLon, sameSiteMs: number): Resolved | undefined {
    const cached = this.resolvedCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let best: Point | undefined;
    let bestKm = Infinity;
    for (const p of this.points.values()) {
      if (!p.location) continue;
      const km = haversineKm(p.location, loc);
      if (km < bestKm || (km === bestKm && best !== undefined && p.id < best.id)) {
        best = p;
        bestKm = km;
      }
    }
    const r = best ? { anchor: best, geoMs: geoRttMs(best.location!, loc), sameSiteMs } : null;
    this.resolvedCache.set(key, r);
    return r ?? undefined;
  }

  private point(id: string): Point {
    let p = this.points.get(id);
    if (!p) {
      // location from the start, though unknown: set later, it would cost the point a property store.
      p = { id, coord: originCoordinate(this.cfg), location: undefined, fits: 0 };
      this.points.set(id, p);
      this.resolvedCache.clear();
    }
    return p;
  }

  private link(a: string, b: string, slot: number): void {
    this.probed.set(a, withPeer(this.probed.get(a), b, slot));
  }

  private logChange(a: string, b: string): void {
    this.changes++;
    this.changeLog.push(a, b);
    // Bounded: callers further behind than the kept half are told to start over.
    if (this.changeLog.length > 2 * CHANGE_LOG_VERSIONS) {
      this.changeLog.splice(0, CHANGE_LOG_VERSIONS);
      this.logBase += CHANGE_LOG_VERSIONS / 2;
    }
  }

  private wideChange(): void {
    this.logChange('', '');
    this.lastWideChange = this.changes;
  }

  /** A new pair's first sample against the estimate the fit made without it (see errorScale). */
  private testEstimate(pa: Point, pb: Point, rttMs: number): void {
    if (pa.fits < SETTLED_FITS || pb.fits < SETTLED_FITS) return;
    const est = coordinateEstimate(pa.coord, pb.coord, 1);
    if (!(est.errorMs > 0)) return;
    this.residuals[this.residualCount % RESIDUALS] = (rttMs - est.rttMs) / est.errorMs;
    this.residualCount++;
    const { after, every } = this.calibration;
    if (this.residualCount >= after && (this.residualCount - after) % every === 0) this.calibrate();
  }

  /**
   * Takes the error scale again from the kept residuals. It rises as soon as they need it and
   * falls only once they need half of it: each change moves every estimate, and callers rebuild
   * what they cached on them (with 1,024 residuals and falls of two steps, the bench's RTT stream
   * moved it every 1,000 samples or so).
   */
  private calibrate(): void {
    const kept = this.residuals.slice(0, Math.min(this.residualCount, RESIDUALS)).sort();
    const q = kept[Math.min(kept.length - 1, Math.floor(CALIBRATION_QUANTILE * kept.length))]!;
    const steps = q > 1 ? Math.ceil(Math.log(q) / Math.log(SCALE_STEP) - 1e-9) : 0;
    const wanted = Math.min(MAX_ERROR_SCALE, SCALE_STEP ** steps);
    if (wanted > this.scale || wanted <= this.scale / SCALE_STEP ** 4 + 1e-12) {
      this.scale = wanted;
      this.wideChange();
    }
  }
}

/**
 * effectiveRtt of the estimate from a fitted point at (x, y, height, error) through a fitted anchor
 * plus a geographic leg, in the arithmetic of coordinateEstimate and estimatorTo, so the figure is
 * the same to the bit.
 */
export function coordinateEffectiveMs(x: number, y: number, height: number, error: number, a: AnchorState): number {
  const dx = x - a.x;
  const dy = y - a.y;
  return effectiveMsAt(Math.sqrt(dx * dx + dy * dy), height, error, a);
}

/**
 * The same for a point `planeMs` from the anchor in the plane: with the least distance, height and
 * error a set of points can have, a lower bound on every one's figure (the placement grid's floors).
 */
export function effectiveMsAt(planeMs: number, height: number, error: number, a: AnchorState): number {
  const rttMs = planeMs + height + a.height;
  const errorMs = (rttMs * (error + a.error) * a.errorScale) / 2;
  return a.geoMs === 0 ? rttMs + errorMs : rttMs + a.geoMs + (errorMs + a.geoMs);
}

/** Vivaldi's relative error estimates, averaged over both ends, turned into ms and scaled (LatencyModel.errorScale). */
export function coordinateEstimate(a: Coordinate, b: Coordinate, errorScale: number): RttEstimate {
  const rttMs = coordinateDistance(a, b);
  return { rttMs, measured: false, errorMs: (rttMs * (a.error + b.error) * errorScale) / 2 };
}

function geoEstimate(a: Point, b: Point): RttEstimate | undefined {
  if (!a.location || !b.location) return undefined;
  const rttMs = geoRttMs(a.location, b.location);
  return { rttMs, measured: false, errorMs: rttMs };
}

function tieBreak(a: string, b: string): number {
  let h = 0x811c9dc5;
  const s = a + '\u0000' + b;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h / 4294967296;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
