// Overflow between cities, as the workload rules see it: the spec another city's work is placed
// by here, and what this city tells the upstream about work of its own that fits nowhere here.
import type { OverflowAssignment, OverflowWork } from '../../protocol/federation.ts';
import type { LatLon } from '../latency/geo.ts';
import type { LatencyTarget } from '../latency/types.ts';
import type { Workload } from './workload.ts';

/**
 * The SLO of cross-city work whose spec allows overflow with no SLO: large enough never to bind,
 * while latency-class placement still prefers the node nearest the origin's target.
 */
export const NO_SLO_MS = 1_000_000;

/** The spec input another city's work runs under here: its own, with its target as coordinates and its cross-city SLO. */
export function foreignInput(a: OverflowAssignment): Record<string, unknown> {
  const { latency: _latency, replicas: _replicas, spread: _spread, overflow: _overflow, ...rest } = a.spec;
  return {
    ...rest,
    overflow: 'deny',
    ...(a.near ? { latency: { to: { lat: a.near.lat, lon: a.near.lon }, maxRttMs: a.maxRttMs ?? NO_SLO_MS } } : {}),
  };
}

/** One of this city's workloads as an ask: its spec, where its target stands, and what the upstream matches on. */
export function overflowWork(w: Workload, locate: (t: LatencyTarget) => LatLon | undefined): OverflowWork {
  const near = w.spec.latency ? (locate(w.spec.latency.to) ?? null) : null;
  return {
    id: w.id,
    spec: w.input as Record<string, unknown>,
    near: near ? { lat: near.lat, lon: near.lon } : null,
    maxRttMs: w.spec.overflow.maxRttMs,
    accelerators: w.spec.needs.accelerators,
    vendors: [...w.spec.needs.vendors],
    domesticOnly: w.spec.needs.domesticOnly,
  };
}
