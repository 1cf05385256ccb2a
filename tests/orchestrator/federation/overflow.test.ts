// Issue 18's overflow, end to end: two cities and their province, each city on its own simulated
// fleet and broker. City A has two cards a node, city B four: work that needs four on one node
// fits nowhere in A, overflows through the province to B, runs there, and its usage is in B's
// ledger (A's tenant, A named as origin) and in A's view of its work run elsewhere, to the same
// figure. A stop at A reaches B; work that may not overflow, or whose cross-city SLO no city
// meets, stays pending at home with the reason; an ask made while the province is away goes up
// when it is back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { federationCommand } from '../../../orchestrator/cli/federation.ts';
import { federationPlugin } from '../../../orchestrator/federation/plugin.ts';
import type { RemoteUsageView } from '../../../orchestrator/ledger/remote-usage.ts';
import type { WorkloadView } from '../../../orchestrator/api/workloads.ts';
import type { LedgerEntry, UsageEntry } from '../../../orchestrator/ledger/entries.ts';
import type { DemandReport } from '../../../orchestrator/reports/demand.ts';
import type { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { startTestFleet, type TestFleet } from '../../helpers/fleet.ts';
import { membersOf, startProvince } from '../../helpers/province.ts';
import { Relay } from '../../helpers/relay.ts';
import { waitFor } from '../../helpers/wait.ts';

const PERIOD_MS = 200;
const TOKENS = { 'city-a': 'fed-token-a', 'city-b': 'fed-token-b' } as const;

let province: Orchestrator;
let relay: Relay;
let a: TestFleet;
let b: TestFleet;

async function get<T>(base: string, path: string): Promise<T> {
  const r = await fetch(base + path);
  expect(r.status, `GET ${path}`).toBe(200);
  return (await r.json()) as T;
}

async function submit(base: string, spec: object): Promise<WorkloadView> {
  const r = await fetch(`${base}/v1/workloads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  expect(r.status, JSON.stringify(await r.clone().json())).toBe(201);
  return (await r.json()) as WorkloadView;
}

const bigBatch = (name: string, durationMs: number) => ({ name, tenant: 'acme', class: 'batch', run: { runner: 'simulated', durationMs }, needs: { accelerators: 4 } });

async function usageInB(id: string): Promise<UsageEntry[]> {
  const { entries } = await get<{ entries: LedgerEntry[] }>(b.orch.httpUrl, '/v1/ledger?kind=usage');
  return entries.filter((e): e is LedgerEntry & UsageEntry => e.kind === 'usage' && e.workloadId === id);
}

beforeAll(async () => {
  province = await startProvince([federationPlugin({ members: membersOf(TOKENS), periodMs: PERIOD_MS })]);
  relay = new Relay(Number(new URL(province.httpUrl).port));
  await relay.mend();
  const city = (name: 'city-a' | 'city-b', seed: number, pack: { vendor: string; model: string; count: number }) =>
    startTestFleet({
      scenario: validateScenario({ name, seed, nodes: 3, telemetryIntervalMs: 500, siteKinds: ['data-centre'], mix: [{ ...pack, weight: 1 }] }),
      orchestrator: { peerProbes: false, plugins: [federationPlugin({ city: name, upstream: { url: relay.url, token: TOKENS[name] }, periodMs: PERIOD_MS })] },
      fleet: { agentConfig: { benchBudgetMs: 0 } },
    });
  [a, b] = await Promise.all([city('city-a', 61, { vendor: 'huawei', model: 'Ascend 910B', count: 2 }), city('city-b', 62, { vendor: 'nvidia', model: 'NVIDIA L20', count: 4 })]);
  await waitFor('both cities online, and fresh at the province with their free capacity', async () => {
    const { members } = await get<{ members: { status: string; latest: { nodes: { online: number }; free: unknown[] } | null }[] }>(province.httpUrl, '/v1/federation/members');
    return members.length === 2 && members.every((m) => m.status === 'fresh' && m.latest?.nodes.online === 3 && m.latest.free.length > 0);
  }, 20_000);
}, 40_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await province?.stop();
});

it('runs work that fits nowhere in its city in the member city that fits, with its usage in both ledgers\' views to the same figure', async () => {
  const w = await submit(a.orch.httpUrl, { ...bigBatch('needs-four', 1500), overflow: 'allow' });
  const there = await waitFor('the work running in city B for city A', () => {
    const x = b.orch.workloads.get(w.id);
    return x?.state === 'running' && x;
  }, 10_000);
  expect(there.origin).toMatchObject({ city: 'city-a', workloadId: w.id });
  expect(there.spec.tenant).toBe('acme');
  const here = await waitFor('city A showing where it went', async () => {
    const v = await get<WorkloadView>(a.orch.httpUrl, `/v1/workloads/${w.id}`);
    return v.state === 'overflowed' && v.overflow?.city === 'city-b' && v;
  });
  expect(here.nodeId).toBeNull();
  expect(here.history.map((h) => h.state)).toContain('overflowed');
  expect(here.history.find((h) => h.state === 'overflowed')!.reason).toMatch(/overflowed to city-b: its city has no node that fits; city-b has 4 free nvidia on one node/);

  const done = await waitFor('city A seeing it completed in B, with the final usage', async () => {
    const v = await get<WorkloadView>(a.orch.httpUrl, `/v1/workloads/${w.id}`);
    return v.state === 'completed' && v.overflow?.final && v;
  }, 10_000);
  expect(done.history.at(-1)!.reason).toMatch(/^in city-b \(site .+\): /);

  // B's ledger holds the usage: A's tenant, A named as origin, no fee here (A bills it).
  const entries = await usageInB(w.id);
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) expect(e).toMatchObject({ tenant: 'acme', origin: { city: 'city-a', workloadId: w.id }, feeCny: 0, plan: null });
  const pfh = entries.reduce((s, e) => s + e.pflopsHoursNominal, 0);
  const ah = entries.reduce((s, e) => s + e.acceleratorHours, 0);
  expect(ah).toBeGreaterThan(0);
  expect(entries.every((e) => e.accelerators.length === 4 && e.accelerators.every((c) => c.vendor === 'nvidia'))).toBe(true);
  // A's view of its work run elsewhere has exactly B's figures; A's own ledger has no entry for it.
  const view = await get<RemoteUsageView>(a.orch.httpUrl, '/v1/ledger/overflow');
  const row = view.workloads.find((r) => r.workloadId === w.id)!;
  expect(row).toMatchObject({ city: 'city-b', tenant: 'acme', state: 'completed', final: true });
  expect(row.usage).toEqual({ pflopsHoursNominal: pfh, acceleratorHours: ah, pflopsHoursMeasured: null, entries: entries.length });
  expect(view.byTenant.find((t) => t.tenant === 'acme')!.cities).toEqual(['city-b']);
  const own = await get<{ entries: LedgerEntry[] }>(a.orch.httpUrl, '/v1/ledger?kind=usage');
  expect(own.entries.filter((e) => e.kind === 'usage' && e.workloadId === w.id)).toEqual([]);
  // B's demand report leaves A's tenant out and says why.
  const demand = await get<DemandReport>(b.orch.httpUrl, `/v1/reports/demand?year=${new Date().getFullYear()}`);
  expect(demand.tenants.map((t) => t.tenant)).not.toContain('acme');
  expect(demand.rules.join('\n')).toMatch(/another city of the federation \(overflow\)/);
  // The province forgets it once A has the last word.
  await waitFor('the province done with it', async () => !(await get<{ entries: { id: string }[] }>(province.httpUrl, '/v1/federation/overflow')).entries.some((e) => e.id === w.id));
}, 30_000);

it('stops the work where it runs when its city stops it, and brings back its usage up to the stop', async () => {
  const w = await submit(a.orch.httpUrl, { ...bigBatch('long-four', 120_000), overflow: 'allow' });
  await waitFor('running in city B', () => b.orch.workloads.get(w.id)?.state === 'running', 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const stop = await fetch(`${a.orch.httpUrl}/v1/workloads/${w.id}`, { method: 'DELETE' });
  expect(stop.status).toBe(200);
  const inB = await waitFor('stopped in city B', () => {
    const x = b.orch.workloads.get(w.id);
    return x?.state === 'stopped' && x;
  }, 10_000);
  expect(inB.history.at(-1)!.reason).toBe('stopped by city-a, its city');
  const final = await waitFor("city A holding B's last usage", async () => {
    const v = await get<WorkloadView>(a.orch.httpUrl, `/v1/workloads/${w.id}`);
    return v.overflow?.final && v;
  }, 10_000);
  expect(final.state).toBe('stopped');
  const entries = await usageInB(w.id);
  expect(entries.at(-1)!.closedBy).toBe('stopped');
  expect(final.overflow!.usage.acceleratorHours).toBe(entries.reduce((s, e) => s + e.acceleratorHours, 0));
  expect(final.overflow!.usage.acceleratorHours).toBeGreaterThan(0);
}, 30_000);

it('keeps work at home when it may not overflow, or when no member city meets its cross-city SLO, and says why', async () => {
  const stays = await submit(a.orch.httpUrl, bigBatch('home-only', 1000));
  // Harbin is ~1,900 km away: no Fujian node is within 10 ms of it.
  const far = await submit(a.orch.httpUrl, { ...bigBatch('near-harbin', 1000), latency: { to: { lat: 45.75, lon: 126.65 }, maxRttMs: 5 }, overflow: { policy: 'allow', maxRttMs: 10 } });
  const why = await waitFor('the province saying no city fits', () => {
    const x = a.orch.workloads.get(far.id);
    return x?.history.find((h) => h.reason.startsWith('upstream: no member city fits'))?.reason;
  }, 10_000);
  expect(why).toMatch(/city-b: nearest fitting district estimated \d+\.\d ms from its target, over its 10 ms cross-city SLO/);
  await new Promise((r) => setTimeout(r, 5 * PERIOD_MS));
  expect(a.orch.workloads.get(far.id)!.state).toBe('pending');
  expect(a.orch.workloads.get(stays.id)!.state).toBe('pending');
  expect(a.orch.workloads.get(stays.id)!.overflow).toBeNull();
  const desk = await get<{ entries: { id: string; state: string }[] }>(province.httpUrl, '/v1/federation/overflow');
  expect(desk.entries.map((e) => e.id)).not.toContain(stays.id);
  expect(desk.entries.find((e) => e.id === far.id)?.state).toBe('unplaced');
  expect(b.orch.workloads.get(far.id)).toBeUndefined();
  // The province's operator reads the same from the CLI.
  const out: string[] = [];
  expect(await federationCommand(['overflow', '--orchestrator', province.httpUrl], {}, { out: (t) => out.push(t), err: (t) => out.push(t) })).toBe(0);
  expect(out.join('\n')).toMatch(new RegExp(`${far.id} +city-a +- +unplaced +no member city fits`));
}, 20_000);

it('holds an ask while the province is away, placing at home meanwhile, and sends it when the province is back', async () => {
  await relay.cut();
  await waitFor('city A seeing the province unreachable', async () => !(await get<{ reachable: boolean }>(a.orch.httpUrl, '/v1/federation/upstream')).reachable);
  const w = await submit(a.orch.httpUrl, { ...bigBatch('during-outage', 1000), overflow: 'allow' });
  const local = await submit(a.orch.httpUrl, { ...bigBatch('local-two', 60_000), needs: { accelerators: 2 } });
  await new Promise((r) => setTimeout(r, 5 * PERIOD_MS));
  expect(a.orch.workloads.get(local.id)!.state).toMatch(/placed|running/);
  expect(a.orch.workloads.get(w.id)).toMatchObject({ state: 'pending', overflow: null });
  expect(b.orch.workloads.get(w.id)).toBeUndefined();
  await relay.mend();
  await waitFor('the held ask run in city B and completed at home', () => b.orch.workloads.get(w.id)?.state === 'completed' && a.orch.workloads.get(w.id)?.state === 'completed', 15_000);
  await fetch(`${a.orch.httpUrl}/v1/workloads/${local.id}`, { method: 'DELETE' });
}, 30_000);
