// The upstream's overflow desk: work a member city cannot place, offered to another member city
// that its latest summary says fits. Everything arrives with members' summary POSTs and leaves in
// their replies (protocol/federation.ts), so the desk only keeps a table and answers each member.
import {
  FINAL_RUN_STATES,
  noOverflowUsage,
  type CitySummary,
  type Landmark,
  type MemberOverflow,
  type OverflowOutcome,
  type OverflowReport,
  type OverflowWork,
  type UpstreamOverflow,
} from '../../protocol/federation.ts';
import { geoRttMs } from '../latency/geo.ts';

interface Entry {
  origin: string;
  work: OverflowWork;
  outcome: OverflowOutcome;
  /** The origin left it out of its asks (or stopped it): its runner is told to stop it. */
  cancelled: boolean;
}

/** A member city as the desk sees it: its latest summary while fresh, null otherwise. */
export interface DeskMember {
  city: string;
  latest: CitySummary | null;
}

export interface DeskStats {
  open: number;
  byState: Record<string, number>;
  /** Reports from a city about work the desk had not assigned to it. */
  strayReports: number;
}

export class OverflowDesk {
  private readonly entries = new Map<string, Entry>();
  private strayReports = 0;

  constructor(
    private readonly landmarks: () => readonly Landmark[],
    private readonly clock: () => number = Date.now,
  ) {}

  /** One member's exchange: its reports and asks in, what it should run, stop and know out. */
  exchange(member: string, body: MemberOverflow, members: readonly DeskMember[]): UpstreamOverflow {
    for (const r of body.reports) this.report(member, r);
    const listed = new Set<string>();
    const outcomes: OverflowOutcome[] = [];
    for (const work of body.asks) {
      listed.add(work.id);
      const e = this.entries.get(key(member, work.id)) ?? this.open(member, work);
      e.work = work;
      if (e.cancelled && !FINAL_RUN_STATES.has(e.outcome.state)) e.cancelled = false;
      if (e.outcome.city === null) this.choose(e, members);
      outcomes.push(e.outcome);
    }
    for (const id of body.cancels) {
      listed.add(id);
      const e = this.entries.get(key(member, id));
      if (!e) {
        outcomes.push({ ...blank(id, this.clock()), state: 'stopped', reason: 'the upstream holds nothing under this id: it ran nowhere else or its runner was never told' });
        continue;
      }
      e.cancelled = true;
      if (e.outcome.city === null) this.settle(e, 'stopped', 'stopped by its city before another city took it');
      outcomes.push(e.outcome);
    }
    for (const [k, e] of this.entries) {
      if (e.origin !== member || listed.has(e.work.id)) continue;
      // Unlisted: its city no longer wants it (placed at home, stopped, or forgotten).
      if (FINAL_RUN_STATES.has(e.outcome.state) || e.outcome.city === null) this.entries.delete(k);
      else e.cancelled = true;
    }
    const assignments: UpstreamOverflow['assignments'] = [];
    const cancels: UpstreamOverflow['cancels'] = [];
    for (const e of this.entries.values()) {
      if (e.outcome.city !== member || FINAL_RUN_STATES.has(e.outcome.state)) continue;
      if (e.cancelled) cancels.push({ id: e.work.id, origin: e.origin });
      else assignments.push({ ...e.work, origin: e.origin });
    }
    return { assignments, cancels, outcomes };
  }

  stats(): DeskStats {
    const byState: Record<string, number> = {};
    for (const e of this.entries.values()) byState[e.outcome.state] = (byState[e.outcome.state] ?? 0) + 1;
    return { open: this.entries.size, byState, strayReports: this.strayReports };
  }

  /** Every entry, for the upstream's operators: who asked, where it went, why. */
  list(): (OverflowOutcome & { origin: string; cancelled: boolean })[] {
    return [...this.entries.values()].map((e) => ({ ...e.outcome, origin: e.origin, cancelled: e.cancelled }));
  }

  private open(origin: string, work: OverflowWork): Entry {
    const e: Entry = { origin, work, outcome: blank(work.id, this.clock()), cancelled: false };
    this.entries.set(key(origin, work.id), e);
    return e;
  }

  private report(member: string, r: OverflowReport): void {
    const e = this.entries.get(key(r.origin, r.id));
    if (!e || e.outcome.city !== member) {
      this.strayReports++;
      return;
    }
    const at = { site: r.site, district: r.district, rttMs: r.rttMs, usage: r.usage, atMs: r.atMs };
    if (r.state === 'refused') {
      // Its usage so far stays on the outcome; the next choice skips this city.
      const tried = e.outcome.tried.includes(member) ? e.outcome.tried : [...e.outcome.tried, member];
      if (e.cancelled) return this.settle(e, 'stopped', `${member} gave it back after its city stopped it: ${r.reason}`, at);
      e.outcome = { ...e.outcome, ...at, state: 'seeking', city: null, tried, reason: `${member} gave it back: ${r.reason}` };
      return;
    }
    e.outcome = { ...e.outcome, ...at, state: r.state, reason: r.reason };
  }

  private settle(e: Entry, state: 'stopped', reason: string, at: Partial<OverflowOutcome> = {}): void {
    e.outcome = { ...e.outcome, ...at, state, reason };
  }

  /**
   * The member city that fits and is nearest the work's target: a free-capacity row with enough
   * accelerators of an allowed vendor on one node, in the district whose estimated RTT to the
   * target (its best RTT to a landmark plus the fibre leg from that landmark) is least and within
   * the cross-city SLO. A city that gave it back is skipped until none else fits.
   */
  private choose(e: Entry, members: readonly DeskMember[]): void {
    const w = e.work;
    const fits: (District & { city: string })[] = [];
    const why: string[] = [];
    const landmarks = new Map(this.landmarks().map((l) => [l.id, l]));
    for (const m of members) {
      if (m.city === e.origin) continue;
      if (!m.latest) {
        why.push(`${m.city}: no fresh summary`);
        continue;
      }
      const best = bestIn(m.latest, w, landmarks);
      if (typeof best === 'string') why.push(`${m.city}: ${best}`);
      else fits.push({ city: m.city, ...best });
    }
    fits.sort((a, b) => (a.estMs ?? Infinity) - (b.estMs ?? Infinity) || b.free - a.free || a.city.localeCompare(b.city));
    const fresh = fits.filter((f) => !e.outcome.tried.includes(f.city));
    const pick = fresh[0];
    if (!pick) {
      const refused = fits.map((f) => `${f.city}: gave it back before`);
      const reason = `no member city fits: ${[...why, ...refused].join('; ') || 'this upstream has no other member city'}`;
      // Every city that fits gave it back once: they are all offered it again on the next ask.
      e.outcome = { ...e.outcome, state: 'unplaced', reason, tried: [], atMs: this.clock() };
      return;
    }
    const est = pick.estMs === null ? '' : `, estimated RTT ${pick.estMs.toFixed(1)} ms to its target`;
    const need = w.accelerators > 0 ? `${pick.free} free ${pick.vendor} on one node` : 'online nodes';
    e.outcome = { ...e.outcome, state: 'assigned', city: pick.city, district: pick.district, reason: `its city has no node that fits; ${pick.city} has ${need} in ${pick.district}${est}`, atMs: this.clock() };
  }
}

type District = { district: string; estMs: number | null; free: number; vendor: string };

/** The district of a member's summary that fits the work and is nearest its target, or why none does. */
function bestIn(s: CitySummary, w: OverflowWork, landmarks: ReadonlyMap<string, Landmark>): District | string {
  const rows = s.free.filter((r) => (w.vendors.length === 0 || w.vendors.includes(r.vendor)) && (!w.domesticOnly || r.domestic) && r.largestFreeOnOneNode >= w.accelerators);
  const candidates =
    w.accelerators > 0 ? rows.map((r) => ({ district: r.district, free: r.largestFreeOnOneNode, vendor: r.vendor })) : [...new Set(s.latency.map((l) => l.region))].map((d) => ({ district: d, free: 0, vendor: '' }));
  if (candidates.length === 0) {
    const kinds = w.domesticOnly ? 'domestic ' : '';
    const vendors = w.vendors.length ? ` (${w.vendors.join(', ')})` : '';
    return w.accelerators > 0 ? `no node with ${w.accelerators} free ${kinds}accelerators${vendors}` : 'no online node';
  }
  const scored: District[] = candidates.map((c) => ({ ...c, estMs: w.near ? estimate(s, c.district, w.near, landmarks) : null }));
  let best: District | null = null;
  for (const c of scored) {
    if (w.maxRttMs !== null && (c.estMs === null || c.estMs > w.maxRttMs)) continue;
    const [mine, theirs] = [c.estMs ?? Infinity, best?.estMs ?? Infinity];
    if (!best || mine < theirs || (mine === theirs && c.free > best.free)) best = c;
  }
  if (best) return best;
  const ests = scored.map((c) => c.estMs).filter((x): x is number => x !== null);
  return ests.length ? `nearest fitting district estimated ${Math.min(...ests).toFixed(1)} ms from its target, over its ${w.maxRttMs} ms cross-city SLO` : 'no latency figures to check its cross-city SLO';
}

/** A district's RTT to a point: through the landmark that gives the least sum. */
function estimate(s: CitySummary, district: string, near: { lat: number; lon: number }, landmarks: ReadonlyMap<string, Landmark>): number | null {
  let best: number | null = null;
  for (const l of s.latency) {
    const lm = landmarks.get(l.landmark);
    if (l.region !== district || !lm) continue;
    const v = l.bestRttMs + geoRttMs(lm, near);
    if (best === null || v < best) best = v;
  }
  return best;
}

function key(origin: string, id: string): string {
  return `${origin}\u0000${id}`;
}

function blank(id: string, atMs: number): OverflowOutcome {
  return { id, state: 'seeking', city: null, reason: 'waiting for the upstream to choose a member city', tried: [], site: null, district: null, rttMs: null, usage: noOverflowUsage(), atMs };
}
