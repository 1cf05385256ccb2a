// Turns a scenario's fault list and its sites' failure rates into concrete, dated faults on named
// nodes. Everything is drawn from the seed: the same seed gives the same timeline.
import { Rng, deriveSeed } from '../fleet/rng.ts';
import type { Scenario, SimNodeSpec } from '../fleet/scenario.ts';
import { FaultSpecError, type Fault } from './faults.ts';

export interface PlannedFault {
  /** Position in the timeline; names the fault in the report. */
  id: string;
  fault: Fault;
  /** The nodes it hits (for partitions and latency spikes: every node in the place). */
  nodes: string[];
  /** Drawn from a failure rate rather than listed in the scenario. */
  random: boolean;
}

const DAY_MS = 86_400_000;

/** The nodes running work of a workload class now (for `select.running`). */
export type RunningOf = (workloadClass: string) => ReadonlySet<string>;

export function planTimeline(scenario: Scenario, specs: readonly SimNodeSpec[], seed: number, durationMs: number, runningOf?: RunningOf): PlannedFault[] {
  const listed = (scenario.faults ?? []).map((f, i) => ({ id: `f${i + 1}-${f.kind}`, fault: f, nodes: resolveNodes(f, specs, deriveSeed(seed, 'fault', i), runningOf), random: false }));
  const plan = [...listed, ...randomFailures(scenario, specs, seed, durationMs)];
  return plan.sort((a, b) => a.fault.atMs - b.fault.atMs || a.id.localeCompare(b.id));
}

/** The nodes a fault hits, drawn with its own seed so adding a fault never reshuffles another's. */
export function resolveNodes(f: Fault, specs: readonly SimNodeSpec[], seed: number, runningOf?: RunningOf): string[] {
  if (f.kind === 'broker-restart' || f.kind === 'orchestrator-restart') return [];
  if (f.kind === 'partition') return specs.filter((s) => (f.district ? s.site.district === f.district : s.site.id === f.site)).map((s) => s.id);
  if (f.kind === 'latency-spike') return specs.filter((s) => s.site.district === f.district).map((s) => s.id);
  const sel = f.select ?? {};
  if (sel.nodes) {
    const known = new Set(specs.map((s) => s.id));
    const missing = sel.nodes.filter((n) => !known.has(n));
    if (missing.length) throw new FaultSpecError(`${f.kind} at ${f.atMs} ms names nodes not in the fleet: ${missing.slice(0, 3).join(', ')}`);
    return [...sel.nodes];
  }
  if (sel.running && !runningOf) throw new FaultSpecError(`${f.kind} at ${f.atMs} ms selects nodes running ${sel.running} work, but nothing here says where work runs`);
  const running = sel.running ? runningOf!(sel.running) : null;
  const pool = specs.filter(
    (s) =>
      (!sel.district || s.site.district === sel.district) &&
      (!sel.siteKind || s.site.kind === sel.siteKind) &&
      (!sel.site || s.site.id === sel.site) &&
      (!running || running.has(s.id)),
  );
  return shuffle(pool.map((s) => s.id), new Rng(seed)).slice(0, sel.count ?? 1);
}

/** Poisson crashes and hangs per node from its site kind's rates, scaled to the run's time scale. */
function randomFailures(scenario: Scenario, specs: readonly SimNodeSpec[], seed: number, durationMs: number): PlannedFault[] {
  const profiles = scenario.siteProfiles;
  if (!profiles) return [];
  const scale = scenario.failureTimeScale ?? 1;
  const out: PlannedFault[] = [];
  for (const spec of specs) {
    const f = profiles[spec.site.kind]?.failures;
    if (!f) continue;
    const rng = new Rng(deriveSeed(seed, 'failures', spec.id));
    const draw = (perDay: number, make: (atMs: number, downMs: number) => Fault) => {
      if (perDay <= 0) return;
      const perWallMs = (perDay / DAY_MS) * scale;
      for (let t = exp(rng, perWallMs); t < durationMs; t += exp(rng, perWallMs)) {
        const down = Math.round(exp(rng, 1 / Math.max(1, f.meanDowntimeMs)) / scale);
        const fault = make(Math.round(t), down);
        out.push({ id: `r${out.length + 1}-${fault.kind}-${spec.id}`, fault, nodes: [spec.id], random: true });
      }
    };
    draw(f.crashPerNodeDay, (atMs, restartAfterMs) => ({ kind: 'crash', atMs, select: { nodes: [spec.id] }, restartAfterMs }));
    draw(f.hangPerNodeDay ?? 0, (atMs, durationMs) => ({ kind: 'hang', atMs, select: { nodes: [spec.id] }, durationMs }));
  }
  return out;
}

function exp(rng: Rng, rate: number): number {
  return -Math.log(1 - rng.next()) / rate;
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
