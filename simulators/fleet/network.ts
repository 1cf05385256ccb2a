// The simulated network between fleet points: RTT = fibre propagation over a route-adjusted
// distance + access latency at both ends + inter-district hops + seeded jitter, with loss,
// and per-district partitions and degradations injected by the chaos layer.
import { SITE_ACCESS_MS, districtById, haversineKm, type DistrictId, type Site, type SiteKind } from '../../orchestrator/geo/city.ts';
import { Rng, deriveSeed } from './rng.ts';

/** Light in fibre: ≈200 km/ms one way, i.e. 5 µs per km (shared with the latency model). */
export { FIBRE_MS_PER_KM } from '../../orchestrator/latency/geo.ts';
import { FIBRE_MS_PER_KM, GEO_ROUTE_FACTOR } from '../../orchestrator/latency/geo.ts';

/**
 * Route factor (path length / great-circle distance), from a least-absolute-deviation fit of
 * rtt_min = c + 2·5 µs/km·f·d over the 14,775 WonderNetwork 2018 pairs under 3,000 km
 * (rows with pct_speed_of_light_fibre > 100 dropped): f = 2.22, c = 6.75 ms. The intercept is
 * inter-city router hops; inside one city those are the access and district terms below.
 */
export const ROUTE_FACTOR = GEO_ROUTE_FACTOR;

/** One-way access latency per site kind (ms); one table, in the city's geography. */
export const ACCESS_MS = SITE_ACCESS_MS;

/** RTT added per district boundary crossed: one more metro aggregation hop each way. */
export const INTER_DISTRICT_MS = 0.2;
/** Outer counties reach the core over a regional ring: another hop each way (RTT). */
export const OUTER_COUNTY_MS = 0.6;

export interface NetPoint {
  id: string;
  lat: number;
  lon: number;
  kind: SiteKind;
  district: DistrictId;
  /** Urban-core district (dense metro fibre); false for outer counties. */
  urban: boolean;
}

export interface NetworkOptions {
  seed: number;
  routeFactor?: number;
  /** Jitter: the standard deviation is this fraction of the base RTT, plus jitterFloorMs. */
  jitterFraction?: number;
  jitterFloorMs?: number;
  /** Baseline loss probability per probe. */
  loss?: number;
}

export interface Degradation {
  extraRttMs: number;
  extraLoss: number;
}

export type ProbeResult = { lost: false; rttMs: number } | { lost: true; reason: 'loss' | 'partition' };

export class NetworkModel {
  readonly seed: number;
  private readonly routeFactor: number;
  private readonly jitterFraction: number;
  private readonly jitterFloorMs: number;
  private readonly loss: number;
  private readonly partitioned = new Set<DistrictId>();
  private readonly degraded = new Map<DistrictId, Degradation>();

  constructor(opts: NetworkOptions) {
    this.seed = opts.seed;
    this.routeFactor = opts.routeFactor ?? ROUTE_FACTOR;
    this.jitterFraction = opts.jitterFraction ?? 0.03;
    this.jitterFloorMs = opts.jitterFloorMs ?? 0.02;
    this.loss = opts.loss ?? 0.001;
  }

  /** The RTT without jitter, loss or injected faults: what a long median would converge to. */
  baseRttMs(a: NetPoint, b: NetPoint): number {
    if (a.id === b.id) return 0;
    const propagation = 2 * FIBRE_MS_PER_KM * this.routeFactor * haversineKm(a, b);
    const access = 2 * (ACCESS_MS[a.kind] + ACCESS_MS[b.kind]);
    const districtHops = a.district === b.district ? 0 : INTER_DISTRICT_MS + outerCounties(a, b) * OUTER_COUNTY_MS;
    return propagation + access + districtHops;
  }

  /**
   * One probe from a to b. Keyed by (seed, a, b, n): the n-th probe of a pair gives the same
   * answer whatever order the simulator asks in, so fleets stay deterministic under concurrency.
   */
  probe(a: NetPoint, b: NetPoint, n: number): ProbeResult {
    if (this.isCut(a.district, b.district)) return { lost: true, reason: 'partition' };
    const rng = new Rng(deriveSeed(this.seed, a.id, b.id, n));
    const degradation = sumDegradation(this.degraded.get(a.district), a.district === b.district ? undefined : this.degraded.get(b.district));
    if (rng.next() < this.loss + degradation.extraLoss) return { lost: true, reason: 'loss' };
    const base = this.baseRttMs(a, b) + degradation.extraRttMs;
    // Queueing only ever adds delay: a half-normal on top of the base, never below it.
    const jitter = Math.abs(rng.normal()) * (this.jitterFraction * base + this.jitterFloorMs);
    return { lost: false, rttMs: base + jitter };
  }

  /** Cut a district off from every other district (links inside it keep working). */
  partition(district: DistrictId): void {
    this.partitioned.add(district);
  }

  heal(district: DistrictId): void {
    this.partitioned.delete(district);
  }

  /** Add delay and loss to every path that starts or ends in the district. */
  degrade(district: DistrictId, d: Degradation): void {
    this.degraded.set(district, d);
  }

  restore(district: DistrictId): void {
    this.degraded.delete(district);
  }

  isCut(a: DistrictId, b: DistrictId): boolean {
    return a !== b && (this.partitioned.has(a) || this.partitioned.has(b));
  }
}

function outerCounties(a: NetPoint, b: NetPoint): number {
  return (a.urban ? 0 : 1) + (b.urban ? 0 : 1);
}

function sumDegradation(a: Degradation | undefined, b: Degradation | undefined): Degradation {
  return {
    extraRttMs: (a?.extraRttMs ?? 0) + (b?.extraRttMs ?? 0),
    extraLoss: (a?.extraLoss ?? 0) + (b?.extraLoss ?? 0),
  };
}

/** A network point for a node (or probe) at a site; the id defaults to the site's. */
export function netPointAt(site: Site, id: string = site.id): NetPoint {
  const district = districtById(site.district);
  return { id, lat: site.lat, lon: site.lon, kind: site.kind, district: site.district, urban: district?.urban ?? false };
}
