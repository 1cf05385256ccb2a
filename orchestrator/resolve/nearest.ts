// "Which instance of this workload is nearest to me?": the healthy instances ordered by RTT from a
// place (a named site or coordinates). Measured where the model has probes between the instance's
// node and the place's anchor; elsewhere the latency model's estimate, kept inside the bounds that
// the two ends' measured RTTs to shared landmarks prove (triangle inequality: |a−b| ≤ rtt ≤ a+b).
// Vivaldi fits slowly and can be far off for a node at the city's edge; the landmark probes every
// agent runs are measured, so they catch those errors. An instance leaves the answer as soon as its
// node is offline, has missed a telemetry report, or its measured RTT breaks the workload's SLO.
import type { LatencyModel } from '../latency/model.ts';
import type { LatencyTarget, RttEstimate } from '../latency/types.ts';
import type { NodeRecord } from '../registry.ts';
import { didYouMean } from '../suggest.ts';
import type { Workload } from '../workloads/workload.ts';

/** A node is stale once this many telemetry intervals have passed without a word from it. */
export const STALE_INTERVALS = 1.25;

export type Estimator = Pick<LatencyModel, 'estimateTo' | 'estimate' | 'anchorOf'>;

export interface Instance {
  /** The workload record (a replica's own id). */
  id: string;
  replica: number | null;
  nodeId: string;
  site: string;
  district: string;
  probeAddress: string;
  rttMs: number;
  /** A bound on how far rttMs may be off (0 when measured). */
  errorMs: number;
  basis: 'measured' | 'estimated';
}

export interface Excluded {
  id: string;
  nodeId: string | null;
  reason: string;
}

export interface NearestDeps {
  node: (id: string) => NodeRecord | undefined;
  latency: Estimator;
  /** Points every agent probes (landmarks): what the estimate's bounds are measured through. */
  landmarks: readonly string[];
  nowMs: number;
}

/** The instances ordered nearest first, and the ones left out with why. */
export function nearestInstances(records: readonly Workload[], near: LatencyTarget, deps: NearestDeps): { instances: Instance[]; excluded: Excluded[] } {
  const instances: Instance[] = [];
  const excluded: Excluded[] = [];
  for (const w of records) {
    const why = unhealthy(w, deps);
    if (why !== null) {
      excluded.push({ id: w.id, nodeId: w.nodeId, reason: why });
      continue;
    }
    const n = deps.node(w.nodeId!)!;
    const est = boundedEstimate(w.nodeId!, near, deps);
    if (!est) {
      excluded.push({ id: w.id, nodeId: w.nodeId, reason: `no RTT estimate from ${w.nodeId} to there yet` });
      continue;
    }
    instances.push({
      id: w.id,
      replica: w.replica?.index ?? null,
      nodeId: n.id,
      site: n.birth?.location.site || n.site,
      district: n.birth?.location.district ?? '',
      probeAddress: n.birth?.probeAddress ?? '',
      rttMs: est.rttMs,
      errorMs: est.errorMs,
      basis: est.measured ? 'measured' : 'estimated',
    });
  }
  instances.sort((a, b) => a.rttMs - b.rttMs || a.id.localeCompare(b.id));
  return { instances, excluded };
}

/** Why an instance is not offered, or null when it is healthy. */
export function unhealthy(w: Workload, deps: Pick<NearestDeps, 'node' | 'nowMs'> & { latency: Pick<Estimator, 'estimateTo'> }): string | null {
  if (w.state !== 'running' || !w.nodeId) return `${w.state}${w.nodeId ? ` on ${w.nodeId}` : ''}, not running`;
  const n = deps.node(w.nodeId);
  if (!n || n.status !== 'online') return `node ${w.nodeId} is ${n ? `${n.status} (${n.loss?.cause ?? n.statusReason})` : 'unknown'}`;
  const interval = n.birth?.telemetryIntervalMs || 5000;
  const silentMs = deps.nowMs - n.lastSeenMs;
  if (silentMs > STALE_INTERVALS * interval) return `node ${w.nodeId} silent for ${silentMs} ms (telemetry every ${interval} ms)`;
  const slo = w.spec.latency;
  if (slo) {
    const est = deps.latency.estimateTo(w.nodeId, slo.to);
    if (est?.measured && est.rttMs > slo.maxRttMs) return `over its SLO: measured ${est.rttMs.toFixed(2)} ms > ${slo.maxRttMs} ms`;
    if (w.sloBreachSinceMs !== null) return `over its SLO since ${new Date(w.sloBreachSinceMs).toISOString()}`;
  }
  return null;
}

/**
 * The model's estimate from a node to a place, clamped to what measured RTTs prove: with A the
 * point the place is reached through (its anchor), for each landmark L both have measured,
 * |rtt(n,L) − rtt(A,L)| ≤ rtt(n,A) ≤ rtt(n,L) + rtt(A,L). The error bound shrinks to what is left
 * between those bounds.
 */
export function boundedEstimate(nodeId: string, near: LatencyTarget, deps: Pick<NearestDeps, 'latency' | 'landmarks'>): RttEstimate | undefined {
  const m = deps.latency;
  const base = m.estimateTo(nodeId, near);
  if (!base || base.measured) return base;
  const anchor = m.anchorOf(near);
  if (!anchor || anchor.id === nodeId) return base;
  let lo = 0;
  let hi = Infinity;
  for (const l of deps.landmarks) {
    const a = m.estimate(nodeId, l);
    const b = m.estimate(anchor.id, l);
    if (!a?.measured || !b?.measured) continue;
    lo = Math.max(lo, Math.abs(a.rttMs - b.rttMs));
    hi = Math.min(hi, a.rttMs + b.rttMs);
  }
  if (hi === Infinity || lo > hi) return base;
  const leg = base.rttMs - anchor.geoMs;
  const rtt = Math.min(hi, Math.max(lo, leg));
  const legError = Math.min(Math.max(0, base.errorMs - anchor.geoMs), Math.max(rtt - lo, hi - rtt));
  return { rttMs: rtt + anchor.geoMs, measured: false, errorMs: legError + anchor.geoMs };
}

export type NearParse = { ok: true; target: LatencyTarget } | { ok: false; message: string };

const LAT_LON = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/;

/** `near` as a client writes it: a site or landmark name, or "lat,lon". */
export function parseNear(text: string | undefined, latency: Pick<LatencyModel, 'knows' | 'names'>): NearParse {
  if (text === undefined || text.trim() === '') return { ok: false, message: 'say where from: ?near=SITE (e.g. fz-mawei-plant-3) or ?near=LAT,LON (e.g. 26.08,119.30)' };
  const ll = LAT_LON.exec(text);
  if (ll) {
    const lat = Number(ll[1]);
    const lon = Number(ll[2]);
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return { ok: false, message: `near=${text}: latitude must be within ±90 and longitude within ±180 (LAT,LON, e.g. 26.08,119.30)` };
    return { ok: true, target: { lat, lon } };
  }
  if (/[,\s]/.test(text)) return { ok: false, message: `near=${text} is neither a site name nor LAT,LON (two numbers, e.g. 26.08,119.30)` };
  if (!latency.knows({ site: text })) return { ok: false, message: `unknown site '${text}'${didYouMean(text, latency.names())}; give a known site or landmark, or LAT,LON` };
  return { ok: true, target: { site: text } };
}
