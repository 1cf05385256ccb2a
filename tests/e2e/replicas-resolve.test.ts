// Issue #17, second half, end to end on a simulated fleet over Fuzhou: replicated workloads kept
// apart by district, the nearest healthy instance from many client positions checked against the
// network model's TRUE RTT, a district partition that moves the answer, a hung node that leaves
// the answer within its telemetry interval, and per-replica usage in the ledger.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttLink } from '../../agent/mqtt-link.ts';
import { KNOWN_PLACES, SITES, siteById, type DistrictId } from '../../orchestrator/geo/city.ts';
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import type { Instance } from '../../orchestrator/resolve/nearest.ts';
import type { WorkloadView } from '../../orchestrator/api/workloads.ts';
import { ChaosLink } from '../../simulators/chaos/chaos-link.ts';
import type { Fleet } from '../../simulators/fleet/fleet.ts';
import { netPointAt, type NetPoint } from '../../simulators/fleet/network.ts';
import { Rng } from '../../simulators/fleet/rng.ts';
import { validateScenario } from '../../simulators/fleet/scenario.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { waitFor } from '../helpers/wait.ts';

const TELEMETRY_MS = 1000;
let t: TestFleet;
let orch: Orchestrator;
let fleet: Fleet;
const links = new Map<string, ChaosLink>();
let startedAtMs = 0;

// One node on every site of the city (39), so every district has several.
const scenario = validateScenario({
  name: 'replicas',
  seed: 17,
  nodes: 39,
  telemetryIntervalMs: TELEMETRY_MS,
  mix: [{ vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 }],
  siteProfiles: { factory: { nodesWeight: 1 }, substation: { nodesWeight: 1 }, 'trading-venue': { nodesWeight: 1 }, 'gaming-pop': { nodesWeight: 1 }, 'data-centre': { nodesWeight: 1 } },
});

beforeAll(async () => {
  t = await startTestFleet({
    scenario,
    orchestrator: { places: [...KNOWN_PLACES], peerProbes: { intervalMs: 500, nodesPerRound: 8, peersPerNode: 4 } },
    fleet: {
      agentConfig: { probeIntervalMs: 1000, benchBudgetMs: 0 },
      link: (spec) => (opts) => {
        const link = new ChaosLink(spec.id, new MqttLink(opts));
        links.set(spec.id, link);
        return link;
      },
    },
  });
  ({ orch, fleet } = t);
  startedAtMs = Date.now();
  await waitFor('39 nodes with latency reports', () => [...orch.registry.all()].filter((n) => n.latency).length === 39, 30_000);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const api = (path: string, init?: RequestInit) => fetch(`${orch.httpUrl}${path}`, init);
const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const districtOf = (nodeId: string) => fleet.specs.find((s) => s.id === nodeId)!.site.district;
const pointOf = (nodeId: string) => netPointAt(fleet.specs.find((s) => s.id === nodeId)!.site, nodeId);

function gamingSpec(name: string, site: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    tenant: 'games-1',
    class: 'cloud-gaming',
    run: { runner: 'simulated', durationMs: 600_000 },
    latency: { to: { site }, maxRttMs: 20 },
    disconnect: { policy: 'replace', graceMs: 300 },
    replicas: 3,
    spread: 'district',
    ...extra,
  };
}

async function runningSet(id: string): Promise<WorkloadView> {
  return waitFor(`every replica of ${id} running`, async () => {
    const w = (await (await api(`/v1/workloads/${id}`)).json()) as WorkloadView;
    return w.instances?.every((r) => r.state === 'running') && w;
  }, 15_000);
}

async function resolve(id: string, near: string): Promise<{ instances: Instance[]; excluded: { id: string; reason: string }[] }> {
  const r = await api(`/v1/resolve/${id}?near=${encodeURIComponent(near)}`);
  expect(r.status).toBe(200);
  return (await r.json()) as { instances: Instance[]; excluded: { id: string; reason: string }[] };
}

const sets: string[] = [];

it('places each replica by the SLO on its own district and shows the set', async () => {
  for (const [i, site] of ['fz-gulou-gaming-1', 'fz-fuqing-gaming-1', 'fz-mawei-plant-3', 'fz-minhou-plant-1'].entries()) {
    const r = await post('/v1/workloads', gamingSpec(`arena-${i}`, site));
    expect(r.status).toBe(201);
    const body = (await r.json()) as WorkloadView;
    expect(body.replicas).toBe(3);
    expect(body.instances).toHaveLength(3);
    sets.push(body.id);
  }
  for (const id of sets) {
    const w = await runningSet(id);
    expect(w.spread).toBe('district');
    const districts = w.instances!.map((r) => districtOf(r.nodeId!));
    expect(new Set(districts).size).toBe(3);
    expect(w.instances!.map((r) => r.replica!.index)).toEqual([0, 1, 2]);
    expect(w.instances!.every((r) => r.replica!.set === id)).toBe(true);
  }
}, 30_000);

it('keeps what fits when the fleet cannot hold every replica apart, and says why', async () => {
  const r = await post('/v1/workloads', { name: 'everywhere', tenant: 'city', class: 'batch', run: { runner: 'simulated', durationMs: 600_000 }, replicas: 13, spread: 'district' });
  expect(r.status).toBe(201);
  const { id } = (await r.json()) as WorkloadView;
  const w = await waitFor('12 replicas running', async () => {
    const v = (await (await api(`/v1/workloads/${id}`)).json()) as WorkloadView;
    return v.instances!.filter((x) => x.state === 'running').length === 12 && v;
  });
  const pending = w.instances!.filter((x) => x.state === 'pending');
  expect(pending).toHaveLength(1);
  expect(pending[0]!.history.at(-1)!.reason).toMatch(/no node fits: spread; replica \d+ of 13: 12 of 13 replicas placed; \d+ node\(s\) that fit every other rule share a district with a placed replica/);
  expect(w.message).toContain('12 of 13 replicas running');
  const stopped = (await (await api(`/v1/workloads/${id}`, { method: 'DELETE' })).json()) as WorkloadView;
  expect(stopped.instances!.every((x) => x.state === 'stopped')).toBe(true);
  // Usage is booked per replica: one closed entry for each replica that ran.
  const usage = orch.books!.ledger.entries().filter((e) => e.kind === 'usage' && e.workloadId.startsWith(`${id}-r`));
  expect(new Set(usage.map((e) => (e as { workloadId: string }).workloadId)).size).toBe(12);
}, 30_000);

it('answers with the nearest instance by the network model\'s true RTT for ≥ 90 % of client positions', async () => {
  // The latency model needs a few probe rounds to fit before its estimates are worth judging.
  await new Promise((r) => setTimeout(r, Math.max(0, startedAtMs + 12_000 - Date.now())));
  const rng = new Rng(17);
  let agree = 0;
  let total = 0;
  let measured = 0;
  let answers = 0;
  for (const id of sets) {
    const w = (await (await api(`/v1/workloads/${id}`)).json()) as WorkloadView;
    const nodes = w.instances!.map((r) => r.nodeId!);
    for (const site of SITES) {
      for (let j = 0; j < 3; j++) {
        // At the site, then two positions within ~500 m of it (same district and access kind).
        const lat = site.lat + (j ? (rng.next() - 0.5) * 0.01 : 0);
        const lon = site.lon + (j ? (rng.next() - 0.5) * 0.01 : 0);
        const client: NetPoint = { ...netPointAt(site, 'client'), lat, lon };
        const got = await resolve(id, j ? `${lat},${lon}` : site.id);
        expect(got.instances).toHaveLength(3);
        const truth = [...nodes].sort((a, b) => fleet.network.baseRttMs(client, pointOf(a)) - fleet.network.baseRttMs(client, pointOf(b)));
        total++;
        if (got.instances[0]!.nodeId === truth[0]) agree++;
        for (const i of got.instances) {
          answers++;
          if (i.basis === 'measured') measured++;
          expect(i.errorMs).toBeGreaterThanOrEqual(0);
        }
      }
    }
  }
  const share = agree / total;
  console.log(`resolve: first answer = true nearest for ${agree}/${total} client positions (${(share * 100).toFixed(1)} %); ${measured}/${answers} answers measured`);
  expect(share).toBeGreaterThanOrEqual(0.9);
}, 60_000);

it('a district partition moves the answer for clients in that district; only the lost replica is re-placed, still apart', async () => {
  const id = sets[0]!;
  const before = await runningSet(id);
  const victim = before.instances![1]!;
  const district = districtOf(victim.nodeId!) as DistrictId;
  const clientSite = SITES.find((s) => s.district === district && s.id === fleet.specs.find((x) => x.id === victim.nodeId)!.site.id)!;
  const first = await resolve(id, clientSite.id);
  expect(first.instances[0]!.nodeId).toBe(victim.nodeId);

  // As the chaos injector partitions a district: its links to the core are cut, its probes lost.
  const cutAt = Date.now();
  fleet.network.partition(district);
  for (const s of fleet.specs) if (s.site.district === district) links.get(s.id)!.cut(`partition ${district}`);
  const moved = await waitFor('the answer moves off the partitioned district', async () => {
    const r = await resolve(id, clientSite.id);
    return r.instances[0]!.nodeId !== victim.nodeId && r;
  }, 5_000, 20);
  expect(Date.now() - cutAt).toBeLessThanOrEqual(TELEMETRY_MS);
  expect(moved.excluded.map((e) => e.id)).toContain(victim.id);
  expect(moved.instances.every((i) => districtOf(i.nodeId) !== district)).toBe(true);

  const after = await waitFor('the lost replica re-placed and running', async () => {
    const w = (await (await api(`/v1/workloads/${id}`)).json()) as WorkloadView;
    const r1 = w.instances![1]!;
    return r1.state === 'running' && r1.nodeId !== victim.nodeId && w;
  }, 15_000);
  expect(after.instances![0]!.nodeId).toBe(before.instances![0]!.nodeId);
  expect(after.instances![2]!.nodeId).toBe(before.instances![2]!.nodeId);
  const districts = after.instances!.map((r) => districtOf(r.nodeId!));
  expect(new Set(districts).size).toBe(3);
  expect(districts).not.toContain(district);
  // The re-placed replica is back in the answer.
  const back = await waitFor('the new replica in the answer', async () => {
    const r = await resolve(id, clientSite.id);
    return r.instances.length === 3 && r;
  });
  expect(back.instances.map((i) => i.nodeId)).toContain(after.instances![1]!.nodeId);
  fleet.network.heal(district);
  for (const s of fleet.specs) if (s.site.district === district) links.get(s.id)!.heal();
}, 40_000);

it('a hung node (connected, silent) leaves the answer once it misses a telemetry report (1.25 intervals after its last word)', async () => {
  const id = sets[1]!;
  const w = await runningSet(id);
  const victim = w.instances![0]!;
  const site = siteById(fleet.specs.find((x) => x.id === victim.nodeId)!.site.id)!;
  // Freeze right after the node was heard, so the wait measured is the whole interval.
  await waitFor('a fresh word from the node', () => Date.now() - orch.registry.get(victim.nodeId!)!.lastSeenMs < 20, 5_000, 5);
  const frozenAt = Date.now();
  links.get(victim.nodeId!)!.freeze();
  const gone = await waitFor('the hung node out of the answer', async () => {
    const r = await resolve(id, site.id);
    return !r.instances.some((i) => i.nodeId === victim.nodeId) && r;
  }, 5_000, 20);
  const tookMs = Date.now() - frozenAt;
  console.log(`resolve: a hung node left the answer ${tookMs} ms after its last word (telemetry every ${TELEMETRY_MS} ms)`);
  expect(tookMs).toBeLessThanOrEqual(1.25 * TELEMETRY_MS + 250);
  expect(gone.excluded.find((e) => e.id === victim.id)!.reason).toMatch(/silent for \d+ ms/);
  links.get(victim.nodeId!)!.thaw();
}, 20_000);

it('refuses a bad near and an unknown workload with a clear message', async () => {
  const id = sets[2]!;
  for (const [q, re] of [
    ['', /say where from: \?near=SITE/],
    ['?near=fz-mawei-plant-9', /unknown site 'fz-mawei-plant-9'; did you mean/],
    ['?near=95,119', /latitude must be within ±90/],
    ['?near=26.1,abc', /neither a site name nor LAT,LON/],
  ] as const) {
    const r = await api(`/v1/resolve/${id}${q}`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(re);
  }
  const r = await api('/v1/resolve/no-such-thing?near=fz-gulou-dc-1');
  expect(r.status).toBe(404);
  // By name as well as by id.
  const byName = await resolve('arena-2', 'fz-gulou-dc-1');
  expect(byName.instances.length).toBeGreaterThan(0);
});
