// Issue #5 end to end: a simulated fleet over Fuzhou reports RTTs from the network model, the
// orchestrator fits its latency model, a `trading` workload (2 ms SLO to an exchange) lands at
// that exchange, runs, and is re-placed within grace + 1 s when its node dies.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import type { Fleet } from '../../simulators/fleet/fleet.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { KNOWN_PLACES, siteById } from '../../orchestrator/geo/city.ts';
import { validateScenario } from '../../simulators/fleet/scenario.ts';
import { netPointAt } from '../../simulators/fleet/network.ts';
import { waitFor } from '../helpers/wait.ts';

let orch: Orchestrator;
let fleet: Fleet;
let t: TestFleet;

const scenario = validateScenario({
  name: 'exchanges',
  seed: 11,
  nodes: 24,
  telemetryIntervalMs: 500,
  siteKinds: ['trading-venue', 'data-centre'],
  mix: [{ vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 }],
});

beforeAll(async () => {
  t = await startTestFleet({
    scenario,
    orchestrator: { places: [...KNOWN_PLACES] },
    fleet: { agentConfig: { probeIntervalMs: 1000, benchBudgetMs: 0 } },
  });
  ({ orch, fleet } = t);
  await waitFor('24 nodes with latency reports', () => [...orch.registry.all()].filter((n) => n.latency).length === 24, 20_000);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${orch.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

it('rejects an invalid spec with every field error named', async () => {
  const r = await post('/v1/workloads', { name: 'x', class: 'hft', needs: { accelerators: 'two' } });
  expect(r.status).toBe(400);
  const body = (await r.json()) as { errors: { path: string }[] };
  expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/class', '/needs/accelerators']));
});

it('pins a 2 ms trading workload at the exchange and re-places it within grace + 1 s when the node dies', async () => {
  // An exchange with two nodes, so one can take over from the other.
  const bySite = new Map<string, string[]>();
  for (const s of fleet.specs) bySite.set(s.site.id, [...(bySite.get(s.site.id) ?? []), s.id]);
  const exchange = [...bySite.entries()].find(([site, ids]) => siteById(site)?.kind === 'trading-venue' && ids.length >= 2);
  expect(exchange, 'the seeded fleet puts two nodes at one exchange').toBeDefined();
  const [site, ids] = exchange!;
  const district = siteById(site)!.district;

  const r = await post('/v1/workloads', {
    name: 'order-gateway',
    tenant: 'broker-1',
    class: 'trading',
    run: { runner: 'simulated', durationMs: 600_000 },
    needs: { accelerators: 1, domesticOnly: true },
    latency: { to: { site }, maxRttMs: 2 },
  });
  expect(r.status).toBe(201);
  const { id } = (await r.json()) as { id: string };
  const running = await waitFor('the workload running', async () => {
    const w = (await (await fetch(`${orch.httpUrl}/v1/workloads/${id}`)).json()) as { state: string; nodeId: string; rttMs: number };
    return w.state === 'running' && w;
  });
  expect(ids).toContain(running.nodeId);
  expect(fleet.specs.find((s) => s.id === running.nodeId)!.site.district).toBe(district);
  expect(running.rttMs).toBeLessThanOrEqual(2);

  const explain = (await (await fetch(`${orch.httpUrl}/v1/workloads/${id}/explain`)).json()) as {
    fleet: number; filters: { name: string; removed: number }[]; candidates: { nodeId: string }[]; scored: number; notExamined: number;
  };
  // Nodes beyond the SLO were either removed by the latency filter or never had to be examined,
  // and every node is counted exactly once.
  expect(explain.filters.find((f) => f.name === 'latency-slo')!.removed + explain.notExamined).toBeGreaterThan(0);
  expect(explain.filters.reduce((n, f) => n + f.removed, 0) + explain.scored + explain.notExamined).toBe(explain.fleet);
  expect(explain.candidates[0]!.nodeId).toBe(running.nodeId);

  fleet.get(running.nodeId)!.sever();
  const moved = await waitFor('re-placed on another node', async () => {
    const w = (await (await fetch(`${orch.httpUrl}/v1/workloads/${id}`)).json()) as { state: string; nodeId: string | null; history: { state: string; atMs: number; reason: string }[] };
    return w.nodeId !== null && w.nodeId !== running.nodeId && w.state === 'running' ? w : undefined;
  }, 15_000);
  // The new node meets the SLO by the network model's truth, not only by the estimate.
  const target = netPointAt(siteById(site)!);
  const movedSite = fleet.specs.find((s) => s.id === moved.nodeId)!.site;
  expect(fleet.network.baseRttMs(netPointAt(movedSite, moved.nodeId!), target)).toBeLessThanOrEqual(2);
  const lost = moved.history.find((h) => h.reason.includes('lost ('))!;
  const replaced = moved.history.find((h) => h.state === 'placed' && h.atMs > lost.atMs)!;
  const graceMs = 5000; // the trading preset

  // A severed link with a live process behind it: its peers still reach it, so not a crash.
  const loss = await waitFor('a loss verdict on the severed node', async () => {
    const n = (await (await fetch(`${orch.httpUrl}/v1/nodes/${running.nodeId}`)).json()) as { loss: { cause: string; evidence: string } | null };
    return n.loss?.cause !== undefined && n.loss.cause !== 'unknown' ? n.loss : undefined;
  });
  expect(loss.cause).toBe('partitioned');
  expect(loss.evidence).not.toBe('');
  expect(replaced.atMs - lost.atMs).toBeGreaterThanOrEqual(graceMs);
  expect(replaced.atMs - lost.atMs).toBeLessThanOrEqual(graceMs + 1000);
}, 60_000);
