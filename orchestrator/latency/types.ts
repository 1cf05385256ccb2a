// What the latency model answers and what a workload's SLO points at.

/** Where a workload's latency SLO is measured to. */
export type LatencyTarget = { site: string } | { landmark: string } | { lat: number; lon: number };

export interface RttEstimate {
  rttMs: number;
  /** True: a recent median of probes between the pair. False: a Vivaldi coordinate estimate. */
  measured: boolean;
  /** An error bound on rttMs (0 when measured), calibrated on samples the fit had not seen; an SLO check counts it against the SLO. */
  errorMs: number;
}

export function targetKey(t: LatencyTarget): string {
  if ('site' in t) return `site:${t.site}`;
  if ('landmark' in t) return `landmark:${t.landmark}`;
  return `geo:${t.lat.toFixed(5)},${t.lon.toFixed(5)}`;
}

/**
 * What every estimate to a target is measured from at one moment: the point it resolves to
 * (with that point's coordinate and fit count) and the geographic leg beyond it. Callers keep
 * one with an ordering they build, to bound how far estimates can have moved since.
 */
export interface AnchorState {
  id: string;
  geoMs: number;
  fits: number;
  x: number;
  y: number;
  height: number;
  error: number;
  /** The model's error scale then (LatencyModel.errorScale): Vivaldi's error times it is the bound. */
  errorScale: number;
}

/** How far effective RTTs to a target can have fallen since an anchor state: now ≥ scale · then − shiftMs. */
export interface Drift {
  scale: number;
  shiftMs: number;
}

/** How every coordinate estimate to a target is made now (LatencyModel.geometryOf). */
export interface TargetGeometry {
  anchor: AnchorState;
  /** Ids whose estimate to the target is not the coordinate one: the anchor and its measured peers. */
  otherwise: readonly string[];
}
