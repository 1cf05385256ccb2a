// The same seed gives the same fleet and the same fault timeline; a different seed does not.
import { describe, expect, it } from 'vitest';
import { FaultSpecError, parseFaultCommand, validateFault } from '../../../simulators/chaos/faults.ts';
import { planTimeline } from '../../../simulators/chaos/timeline.ts';
import { generateNodes, loadScenario, validateScenario } from '../../../simulators/fleet/scenario.ts';

const ci = loadScenario(new URL('../../../simulators/fleet/scenarios/ci-chaos.json', import.meta.url).pathname);
const city = loadScenario(new URL('../../../simulators/fleet/scenarios/fuzhou-city.json', import.meta.url).pathname);

describe('fleet and fault timeline', () => {
  it('are identical for the same seed', () => {
    const a = planTimeline(city, generateNodes(city), 42, 600_000);
    const b = planTimeline(city, generateNodes(city), 42, 600_000);
    expect(a).toEqual(b);
    expect(a.filter((p) => p.random).length).toBeGreaterThan(0);
    expect(generateNodes(city)).toEqual(generateNodes(city));
  });

  it('differ for another seed', () => {
    const a = planTimeline(city, generateNodes(city), 42, 600_000);
    const b = planTimeline(city, generateNodes(city), 43, 600_000);
    expect(a.map((p) => [p.fault.atMs, p.nodes])).not.toEqual(b.map((p) => [p.fault.atMs, p.nodes]));
  });

  it('spread nodes over sites by their kind\'s weight, each kind with its own mix', () => {
    const nodes = generateNodes(ci);
    expect(nodes).toHaveLength(200);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(200);
    const perKind = (k: string) => nodes.filter((n) => n.site.kind === k).length / new Set(nodes.filter((n) => n.site.kind === k).map((n) => n.site.id)).size;
    expect(perKind('data-centre')).toBeGreaterThan(2.5 * perKind('factory'));
    expect(nodes.filter((n) => n.site.kind === 'trading-venue').every((n) => n.pack.model === 'Ascend 910B' && n.pack.count === 2)).toBe(true);
  });

  it('keeps scenarios without site profiles as they were (round-robin over districts)', () => {
    const s = validateScenario({ name: 'old', seed: 1, nodes: 24, telemetryIntervalMs: 1000, mix: [{ vendor: 'huawei', model: 'Ascend 910B', count: 1, weight: 1 }] });
    expect(new Set(generateNodes(s).map((n) => n.site.district)).size).toBe(12);
  });

  it('resolves a partition to every node of its district and a crash to `count` nodes drawn from the seed', () => {
    const nodes = generateNodes(ci);
    // Trading work runs on the first two Gulou nodes: the crash that selects it takes those.
    const gulou = nodes.filter((n) => n.site.district === 'gulou').map((n) => n.id);
    const plan = planTimeline(ci, nodes, ci.seed, 30_000, (cls) => new Set(cls === 'trading' ? [gulou[0]!, gulou[1]!, nodes.find((n) => n.site.district !== 'gulou')!.id] : []));
    expect(plan.find((p) => p.id === 'f1-crash')!.nodes.sort()).toEqual([gulou[0]!, gulou[1]!].sort());
    expect(() => planTimeline(ci, nodes, ci.seed, 30_000)).toThrow(/running trading work/);
    const part = plan.find((p) => p.fault.kind === 'partition' && 'district' in p.fault && p.fault.district === 'lianjiang')!;
    expect(part.nodes.sort()).toEqual(nodes.filter((n) => n.site.district === 'lianjiang').map((n) => n.id).sort());
    const skew = plan.find((p) => p.fault.kind === 'clock-skew')!;
    expect(skew.nodes).toHaveLength(5);
  });

  it('parses live commands and refuses bad ones with the kinds listed', () => {
    expect(parseFaultCommand('partition district=mawei durationMs=5000', 10)).toEqual({ kind: 'partition', atMs: 10, district: 'mawei', durationMs: 5000 });
    expect(parseFaultCommand('crash nodes=a,b restartAfterMs=100', 0)).toEqual({ kind: 'crash', atMs: 0, select: { nodes: ['a', 'b'] }, restartAfterMs: 100 });
    expect(() => parseFaultCommand('meteor district=mawei', 0)).toThrow(/kinds: crash/);
    expect(() => parseFaultCommand('partition mawei', 0)).toThrow(FaultSpecError);
    expect(() => validateFault({ kind: 'partition', atMs: 0, durationMs: 1 })).toThrow(/exactly one of district or site/);
  });
});
