// The end-of-rehearsal report: workloads placed, SLO violations against the network model's TRUE
// RTT, time to detect each fault and to re-place, messages lost, rejections by reason, the latency
// model's error against the truth, and the invariants CI asserts. A table for people, --json for scripts.
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { TERMINAL } from '../../orchestrator/workloads/manager.ts';
import type { Channel } from '../../protocol/topics.ts';
import type { FaultRecord } from '../chaos/injector.ts';
import type { Observer } from '../chaos/observer.ts';
import type { NetPoint, NetworkModel } from './network.ts';
import { Rng } from './rng.ts';
import type { HubStats } from './transport-inproc.ts';

export interface Timing {
  sweepMs: number;
  silentIntervals: number;
  minSilentMs: number;
  ackTimeoutMs: number;
  sloWindowMs: number;
  probeIntervalMs: number;
  /** Probe rounds the fleet runs before workloads are submitted, so the latency model has settled. */
  warmupProbeRounds: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** After the timeline: time for outboxes to drain and workloads to settle before reporting. */
  settleMs: number;
}

export interface ReportInput {
  scenario: string;
  seed: number;
  transport: string;
  durationMs: number;
  nodes: number;
  timing: Timing;
  telemetryIntervalMs: number;
  orchestrator: Orchestrator;
  observer: Observer;
  faults: FaultRecord[];
  points: ReadonlyMap<string, NetPoint>;
  network: NetworkModel;
  hub: HubStats | null;
  ledger: boolean;
}

export interface FaultOutcome {
  id: string;
  kind: string;
  nodes: number;
  random: boolean;
  skipped?: string;
  /** Nodes the orchestrator saw go offline, and how long after the fault. */
  detected: number;
  detectMs: { median: number; max: number } | null;
  detectBoundMs: number | null;
  /** Workloads on the fault's nodes that the orchestrator moved, and how long after the fault. */
  replaced: number;
  replaceable: number;
  replaceMs: { median: number; max: number } | null;
  replaceBoundMs: number | null;
  /** The orchestrator's verdicts on the nodes (loss-cause classifier). */
  verdicts: Record<string, number>;
  injected: number;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SimReport {
  scenario: string;
  seed: number;
  transport: string;
  nodes: number;
  durationMs: number;
  workloads: { submitted: number; placedEver: number; running: number; pending: number; unexplained: string[]; terminal: Record<string, number> };
  placements: { total: number; withSlo: number; sloViolations: number; beyondStatedBound: number; worst: { workloadId: string; nodeId: string; trueMs: number; estimateMs: number | null; errorMs: number; maxRttMs: number }[] };
  faults: FaultOutcome[];
  messages: { ledger: boolean; sent: Record<Channel, number>; accepted: Record<Channel, number>; lost: Record<Channel, number>; hub: HubStats | null };
  rejected: Record<string, number>;
  latencyModel: { pairs: number; medianRelError: number; p90RelError: number; sloTargets: number; sloTargetMedianRelError: number };
  invariants: Invariant[];
}

/** Slack for delivery and scheduling on a loaded 2-core machine, on top of the configured timers. */
const SLACK_MS = 2000;

export function buildReport(i: ReportInput): SimReport {
  const orch = i.orchestrator;
  const all = orch.workloads.list();
  const terminal: Record<string, number> = {};
  for (const w of all) if (TERMINAL.has(w.state)) terminal[w.state] = (terminal[w.state] ?? 0) + 1;
  const pending = all.filter((w) => w.state === 'pending');
  const unexplained = pending.filter((w) => !w.explain?.blockedBy && !w.history.at(-1)?.reason).map((w) => w.id);

  const withSlo = i.observer.placements.filter((p) => p.maxRttMs !== null && p.trueMs !== null);
  const violations = withSlo.filter((p) => p.trueMs! > p.maxRttMs!);
  const beyond = violations.filter((p) => p.estimateMs === null || p.trueMs! > p.estimateMs + p.errorMs + 1e-9);

  const faults = i.faults.map((f) => faultOutcome(f, i));
  const lost = i.observer.lost();
  const rejected = Object.fromEntries([...i.observer.rejected].sort((a, b) => a[0].localeCompare(b[0])));
  const latencyModel = modelError(i);

  const report: SimReport = {
    scenario: i.scenario,
    seed: i.seed,
    transport: i.transport,
    nodes: i.nodes,
    durationMs: i.durationMs,
    workloads: {
      submitted: all.length,
      placedEver: all.filter((w) => w.history.some((h) => h.state === 'placed')).length,
      running: all.filter((w) => w.state === 'running').length,
      pending: pending.length,
      unexplained,
      terminal,
    },
    placements: {
      total: i.observer.placements.length,
      withSlo: withSlo.length,
      sloViolations: violations.length,
      beyondStatedBound: beyond.length,
      worst: violations
        .sort((a, b) => b.trueMs! - b.maxRttMs! - (a.trueMs! - a.maxRttMs!))
        .slice(0, 5)
        .map((p) => ({ workloadId: p.workloadId, nodeId: p.nodeId, trueMs: round(p.trueMs!), estimateMs: p.estimateMs === null ? null : round(p.estimateMs), errorMs: round(p.errorMs), maxRttMs: p.maxRttMs! })),
    },
    faults,
    messages: { ledger: i.ledger, sent: i.observer.sent, accepted: i.observer.accepted, lost, hub: i.hub },
    rejected,
    latencyModel,
    invariants: [],
  };
  report.invariants = invariants(report, i);
  return report;
}

function faultOutcome(f: FaultRecord, i: ReportInput): FaultOutcome {
  const t = i.timing;
  const silence = Math.max(t.minSilentMs, t.silentIntervals * i.telemetryIntervalMs);
  const losesNodes = f.kind === 'crash' || f.kind === 'hang' || f.kind === 'partition';
  const detectBoundMs = !losesNodes ? null : t.sweepMs + SLACK_MS + (f.kind === 'hang' ? silence : 0);
  const horizon = f.endedAtMs ?? Number.MAX_SAFE_INTEGER;
  const detect: number[] = [];
  const verdicts: Record<string, number> = {};
  if (losesNodes) {
    for (const id of f.nodes) {
      const mark = i.observer.status.get(id)?.find((m) => m.to === 'offline' && m.atMs >= f.startedAtMs && m.atMs <= horizon + t.sweepMs + SLACK_MS);
      if (mark) detect.push(mark.atMs - f.startedAtMs);
      const v = i.observer.verdicts.get(id)?.filter((x) => x.lostAtMs >= f.startedAtMs - SLACK_MS && x.lostAtMs <= horizon + SLACK_MS).at(-1);
      if (v) verdicts[v.cause] = (verdicts[v.cause] ?? 0) + 1;
    }
  }
  // Workloads on the fault's nodes when it struck, with policy replace: moved, and how fast.
  const nodes = new Set(f.nodes);
  const replace: number[] = [];
  let replaceable = 0;
  let graceMax = 0;
  if (f.kind === 'crash' && f.nodes.length) {
    for (const w of i.orchestrator.workloads.list()) {
      if (w.spec.disconnect.policy !== 'replace') continue;
      const trail = i.observer.workloadNodes.get(w.id) ?? [];
      const before = trail.filter((x) => x.atMs <= f.startedAtMs).at(-1);
      if (!before || !nodes.has(before.nodeId)) continue;
      if (w.history.some((h) => TERMINAL.has(h.state) && h.atMs <= f.startedAtMs)) continue;
      // A node back within the grace period keeps its workload: nothing to re-place.
      const back = i.observer.status.get(before.nodeId)?.find((m) => m.to === 'online' && m.atMs > f.startedAtMs);
      if (back && back.atMs - f.startedAtMs < w.spec.disconnect.graceMs) continue;
      replaceable++;
      graceMax = Math.max(graceMax, w.spec.disconnect.graceMs);
      const after = trail.find((x) => x.atMs > f.startedAtMs && x.nodeId !== before.nodeId);
      if (after) replace.push(after.atMs - f.startedAtMs);
    }
  }
  return {
    id: f.id,
    kind: f.kind,
    nodes: f.nodes.length,
    random: f.random,
    ...(f.skipped ? { skipped: f.skipped } : {}),
    detected: detect.length,
    detectMs: stats(detect),
    detectBoundMs,
    replaced: replace.length,
    replaceable,
    replaceMs: stats(replace),
    replaceBoundMs: replaceable ? (detectBoundMs ?? 0) + graceMax + t.sweepMs + SLACK_MS : null,
    verdicts,
    injected: f.injected,
  };
}

/** The latency model against the network model's truth: node pairs it never measured, and the SLO targets placements used. */
function modelError(i: ReportInput): SimReport['latencyModel'] {
  const ids = [...i.points.keys()].sort();
  const rng = new Rng(i.seed ^ 0x5eed);
  const errs: number[] = [];
  for (let k = 0; k < Math.min(500, ids.length * 4) && ids.length > 1; k++) {
    const a = i.points.get(rng.pick(ids))!;
    const b = i.points.get(rng.pick(ids))!;
    if (a.id === b.id) continue;
    const est = i.orchestrator.latency.estimate(a.id, b.id);
    const truth = i.network.baseRttMs(a, b);
    if (est && truth > 0) errs.push(Math.abs(est.rttMs - truth) / truth);
  }
  const slo = i.observer.placements.filter((p) => p.trueMs !== null && p.estimateMs !== null && p.trueMs > 0).map((p) => Math.abs(p.estimateMs! - p.trueMs!) / p.trueMs!);
  const s = [...errs].sort((x, y) => x - y);
  return {
    pairs: errs.length,
    medianRelError: round(quantile(s, 0.5), 4),
    p90RelError: round(quantile(s, 0.9), 4),
    sloTargets: slo.length,
    sloTargetMedianRelError: round(quantile([...slo].sort((x, y) => x - y), 0.5), 4),
  };
}

function invariants(r: SimReport, i: ReportInput): Invariant[] {
  const out: Invariant[] = [];
  if (r.messages.ledger) out.push({ name: 'no accepted event lost', ok: r.messages.lost.event === 0, detail: `${r.messages.sent.event} events sent, ${r.messages.lost.event} never accepted` });
  out.push({
    name: 'no placement violates its true SLO beyond the stated estimate bound',
    ok: r.placements.beyondStatedBound === 0,
    detail: `${r.placements.withSlo} placements with an SLO; ${r.placements.sloViolations} over it by true RTT, ${r.placements.beyondStatedBound} beyond estimate + error bound`,
  });
  out.push({ name: 'every workload placed or explained', ok: r.workloads.unexplained.length === 0, detail: `${r.workloads.pending} pending, ${r.workloads.unexplained.length} without an explanation` });
  const crashes = r.faults.filter((f) => f.kind === 'crash' && !f.skipped);
  const slowDetect = crashes.filter((f) => f.detected < f.nodes || (f.detectMs && f.detectMs.max > f.detectBoundMs!));
  out.push({ name: 'crashes detected within bound', ok: slowDetect.length === 0, detail: `${crashes.length} crash faults; late or missed: ${slowDetect.map((f) => f.id).join(', ') || 'none'}` });
  const slowReplace = crashes.filter((f) => f.replaced < f.replaceable || (f.replaceMs && f.replaceMs.max > f.replaceBoundMs!));
  out.push({ name: 'crashed nodes\' workloads re-placed within bound', ok: slowReplace.length === 0, detail: `${crashes.reduce((a, f) => a + f.replaceable, 0)} workloads to move; late or missed in: ${slowReplace.map((f) => f.id).join(', ') || 'none'}` });
  const parts = r.faults.filter((f) => f.kind === 'partition' && !f.skipped);
  const mistaken = parts.reduce((a, f) => a + (f.verdicts.crashed ?? 0), 0);
  out.push({ name: 'partitioned nodes not taken for crashed', ok: mistaken === 0, detail: `${parts.reduce((a, f) => a + f.nodes, 0)} partitioned nodes; ${mistaken} classified crashed` });
  const hangs = r.faults.filter((f) => f.kind === 'hang' && !f.skipped);
  const slowHang = hangs.filter((f) => f.detectMs && f.detectMs.max > f.detectBoundMs!);
  out.push({ name: 'hung nodes detected within the silence bound', ok: slowHang.length === 0, detail: `${hangs.length} hang faults; late: ${slowHang.map((f) => f.id).join(', ') || 'none'}` });
  void i;
  return out;
}

export function renderReport(r: SimReport): string {
  const lines: string[] = [];
  lines.push(`Rehearsal "${r.scenario}" — seed ${r.seed}, ${r.nodes} nodes, ${r.transport} transport, ${(r.durationMs / 1000).toFixed(0)} s`);
  lines.push('');
  const w = r.workloads;
  lines.push(`Workloads: ${w.submitted} submitted, ${w.placedEver} placed at least once, ${w.running} running, ${w.pending} pending (${w.unexplained.length} unexplained)`);
  const p = r.placements;
  lines.push(`Placements: ${p.total} (${p.withSlo} with an SLO); SLO violations by true RTT: ${p.sloViolations}; beyond the stated estimate bound: ${p.beyondStatedBound}`);
  for (const x of p.worst) lines.push(`  ${x.workloadId} on ${x.nodeId}: true ${x.trueMs} ms > SLO ${x.maxRttMs} ms (estimate ${x.estimateMs ?? '-'} ± ${x.errorMs} ms)`);
  lines.push('');
  lines.push(table(
    ['fault', 'nodes', 'detected', 'detect ms (med/max)', 'bound', 're-placed', 're-place ms (med/max)', 'bound', 'verdicts'],
    r.faults.map((f) => [
      f.id + (f.skipped ? ' (skipped)' : ''),
      String(f.nodes),
      f.detectBoundMs === null ? '-' : `${f.detected}/${f.nodes}`,
      f.detectMs ? `${f.detectMs.median}/${f.detectMs.max}` : '-',
      f.detectBoundMs === null ? '-' : String(f.detectBoundMs),
      f.replaceable ? `${f.replaced}/${f.replaceable}` : '-',
      f.replaceMs ? `${f.replaceMs.median}/${f.replaceMs.max}` : '-',
      f.replaceBoundMs === null ? '-' : String(f.replaceBoundMs),
      Object.entries(f.verdicts).map(([k, v]) => `${k} ${v}`).join(', ') || (f.injected ? `${f.injected} injected` : '-'),
    ]),
  ));
  lines.push('');
  const m = r.messages;
  const chans = (Object.keys(m.sent) as Channel[]).filter((c) => m.sent[c] > 0);
  if (m.ledger) lines.push(table(['channel', 'sent', 'accepted', 'lost'], chans.map((c) => [c, String(m.sent[c]), String(m.accepted[c]), String(m.lost[c])])));
  if (m.hub) lines.push(`In-process hub: ${m.hub.fromNodes} from nodes, ${m.hub.noSubscriber} with no orchestrator subscribed, ${m.hub.commandsDropped} of ${m.hub.commands} commands to absent nodes, ${m.hub.wills} wills`);
  lines.push(`Rejected by reason: ${Object.entries(r.rejected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  const l = r.latencyModel;
  lines.push(`Latency model vs truth: median relative error ${(l.medianRelError * 100).toFixed(1)} % (p90 ${(l.p90RelError * 100).toFixed(1)} %) over ${l.pairs} node pairs; ${(l.sloTargetMedianRelError * 100).toFixed(1)} % on ${l.sloTargets} SLO targets`);
  lines.push('');
  for (const inv of r.invariants) lines.push(`${inv.ok ? 'ok  ' : 'FAIL'}  ${inv.name}: ${inv.detail}`);
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((c, k) => c.padEnd(widths[k]!)).join('  ').trimEnd();
  return [line(head), widths.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

function stats(xs: number[]): { median: number; max: number } | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return { median: Math.round(quantile(s, 0.5)), max: Math.round(s.at(-1)!) };
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
