// What the latency model answers and what a workload's SLO points at.

/** Where a workload's latency SLO is measured to. */
export type LatencyTarget = { site: string } | { landmark: string } | { lat: number; lon: number };

export interface RttEstimate {
  rttMs: number;
  /** True: a recent median of probes between the pair. False: a Vivaldi coordinate estimate. */
  measured: boolean;
  /** An error bound on rttMs (0 when measured); an SLO check counts it against the SLO. */
  errorMs: number;
}

export function targetKey(t: LatencyTarget): string {
  if ('site' in t) return `site:${t.site}`;
  if ('landmark' in t) return `landmark:${t.landmark}`;
  return `geo:${t.lat.toFixed(5)},${t.lon.toFixed(5)}`;
}
