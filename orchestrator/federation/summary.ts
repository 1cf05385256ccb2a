// The city's summary for its upstream, from the same rules the city's own views use: totals from
// fleetSummary (views.ts), per-vendor figures through sumFp16 (protocol/fp16.ts), free capacity
// from the fleet view placement reads, and RTT to the upstream's landmarks from the latency model.
import { sumFp16 } from '../../protocol/fp16.ts';
import type { CitySummary, Landmark } from '../../protocol/federation.ts';
import type { Fp16Figure } from '../../protocol/messages.ts';
import type { FleetView } from '../fleet/view.ts';
import { geoRttMs } from '../latency/geo.ts';
import { median, type LatencyModel } from '../latency/model.ts';
import type { NodeRecord } from '../registry.ts';
import { cardBenches, fleetSummary } from '../views.ts';

export interface SummarySources {
  nodes: () => Iterable<NodeRecord>;
  fleet: Pick<FleetView, 'get'>;
  latency: Pick<LatencyModel, 'estimateTo'>;
}

/** PFLOPS as summaries carry them: 1e-6 P (one GFLOPS), so sums of summaries add up exactly once rounded alike. */
export function roundPflops(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export function citySummary(city: string, seq: number, atMs: number, src: SummarySources, landmarks: readonly Landmark[]): CitySummary {
  const nodes = [...src.nodes()];
  const totals = fleetSummary(nodes);
  return {
    city,
    seq,
    atMs,
    nodes: totals.nodes,
    accelerators: totals.accelerators,
    nominal: totals.nominal,
    measured: totals.measured,
    byVendor: vendorFigures(nodes),
    free: freeCapacity(nodes, src.fleet),
    latency: regionLatency(nodes, src.latency, landmarks),
  };
}

function vendorFigures(nodes: readonly NodeRecord[]): CitySummary['byVendor'] {
  const by = new Map<string, { domestic: boolean; nominal: { domestic: boolean; fp16: Fp16Figure }[]; measured: { domestic: boolean; fp16: Fp16Figure }[] }>();
  for (const n of nodes) {
    const bench = cardBenches(n);
    for (const a of n.birth?.accelerators ?? []) {
      const v = by.get(a.vendor) ?? { domestic: a.domestic, nominal: [], measured: [] };
      v.nominal.push({ domestic: a.domestic, fp16: a.nominal });
      const r = bench(a.index);
      if (r) v.measured.push({ domestic: a.domestic, fp16: r.fp16 });
      by.set(a.vendor, v);
    }
  }
  return [...by.entries()]
    .map(([vendor, v]) => ({
      vendor,
      domestic: v.domestic,
      accelerators: v.nominal.length,
      nominalPflops: roundPflops(sumFp16(v.nominal).pflops),
      measuredPflops: roundPflops(sumFp16(v.measured).pflops),
    }))
    .sort((a, b) => a.vendor.localeCompare(b.vendor));
}

/** Unreserved accelerators of online nodes, by district and vendor. */
function freeCapacity(nodes: readonly NodeRecord[], fleet: SummarySources['fleet']): CitySummary['free'] {
  const rows = new Map<string, CitySummary['free'][number]>();
  for (const n of nodes) {
    const view = fleet.get(n.id);
    if (!view || !view.online || !n.birth) continue;
    const district = n.birth.location.district || 'unknown';
    const onNode = new Map<string, number>();
    for (const a of view.accelerators) {
      if (a.allocatedTo) continue;
      const key = `${district}\u0000${a.vendor}`;
      const r = rows.get(key) ?? { district, vendor: a.vendor, domestic: a.domestic, freeAccelerators: 0, freeNominalPflops: 0, largestFreeOnOneNode: 0 };
      r.freeAccelerators++;
      r.freeNominalPflops = roundPflops(r.freeNominalPflops + (a.nominalTflops ?? 0) / 1000);
      onNode.set(key, (onNode.get(key) ?? 0) + 1);
      rows.set(key, r);
    }
    for (const [key, count] of onNode) rows.get(key)!.largestFreeOnOneNode = Math.max(rows.get(key)!.largestFreeOnOneNode, count);
  }
  return [...rows.values()].sort((a, b) => a.district.localeCompare(b.district) || a.vendor.localeCompare(b.vendor));
}

/**
 * Per district with online nodes and per landmark: each node's estimate to the landmark's
 * coordinates from the latency model (measured RTTs and Vivaldi, plus the geographic leg beyond
 * the nearest known point); where the model knows none of the district's nodes, the fibre
 * estimate from where each node stands (basis 'geo').
 */
function regionLatency(nodes: readonly NodeRecord[], latency: SummarySources['latency'], landmarks: readonly Landmark[]): CitySummary['latency'] {
  const byRegion = new Map<string, NodeRecord[]>();
  for (const n of nodes) {
    if (n.status !== 'online' || !n.birth) continue;
    const region = n.birth.location.district || 'unknown';
    byRegion.set(region, [...(byRegion.get(region) ?? []), n]);
  }
  const out: CitySummary['latency'] = [];
  for (const [region, members] of [...byRegion.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const l of landmarks) {
      const model = members.map((n) => latency.estimateTo(n.id, { lat: l.lat, lon: l.lon })?.rttMs).filter((v): v is number => v !== undefined);
      const basis = model.length > 0 ? 'model' : 'geo';
      const rtts = model.length > 0 ? model : members.map((n) => geoRttMs(n.birth!.location, l));
      out.push({ region, landmark: l.id, bestRttMs: round3(Math.min(...rtts)), medianRttMs: round3(median(rtts)), basis, nodes: rtts.length });
    }
  }
  return out;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
