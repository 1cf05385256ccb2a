// Issue 18: two cities and their province, in one process. Each city runs its own simulated fleet
// on its own embedded broker and sends its summary to the province every 300 ms; the province's
// sum adds up exactly; member tokens open the federation routes only; and a 30 s outage of the
// province (100 periods) leaves both cities placing locally, after which every held-back summary
// arrives.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authPlugin, issueApiToken, parseTokenLines } from '../../../orchestrator/api/auth.ts';
import { federationPlugin } from '../../../orchestrator/federation/plugin.ts';
import { roundPflops } from '../../../orchestrator/federation/summary.ts';
import type { UpstreamStatus } from '../../../orchestrator/federation/upstream.ts';
import type { MemberState } from '../../../orchestrator/federation/hub.ts';
import type { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import type { FleetSummary } from '../../../orchestrator/views.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { startTestFleet, type TestFleet } from '../../helpers/fleet.ts';
import { membersOf, startProvince } from '../../helpers/province.ts';
import { Relay } from '../../helpers/relay.ts';
import { waitFor } from '../../helpers/wait.ts';

const PERIOD_MS = 300;
/** The issue's outage: 30 s, 100 periods. */
const OUTAGE_MS = 30_000;
const TOKENS = { 'city-a': 'fed-token-city-a', 'city-b': 'fed-token-city-b' } as const;
const viewer = issueApiToken('dash', 'viewer');

let province: Orchestrator;
let relay: Relay;
const cities: Record<'city-a' | 'city-b', TestFleet> = {} as never;

function scenario(name: string, seed: number, pack: { vendor: string; model: string }) {
  return validateScenario({ name, seed, nodes: 3, telemetryIntervalMs: 500, siteKinds: ['data-centre'], mix: [{ ...pack, count: 2, weight: 1 }] });
}

async function get<T>(base: string, path: string, token?: string): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: (await r.json()) as T };
}

beforeAll(async () => {
  province = await startProvince([
    // Federation first, so a member token on an operator route hears why (403), not just "who are you?" (401).
    federationPlugin({ members: membersOf(TOKENS), periodMs: PERIOD_MS, apiTokens: parseTokenLines(viewer.line, 'test') }),
    (app, o) => authPlugin(app, { tokens: parseTokenLines(viewer.line, 'test'), log: o.log }),
  ]);
  relay = new Relay(Number(new URL(province.httpUrl).port));
  await relay.mend();
  const packs = { 'city-a': { vendor: 'huawei', model: 'Ascend 910B' }, 'city-b': { vendor: 'nvidia', model: 'NVIDIA L20' } };
  await Promise.all(
    (['city-a', 'city-b'] as const).map(async (city, i) => {
      cities[city] = await startTestFleet({
        scenario: scenario(city, 40 + i, packs[city]),
        orchestrator: { peerProbes: false, plugins: [federationPlugin({ city, upstream: { url: `http://127.0.0.1:${relay.port}`, token: TOKENS[city] }, periodMs: PERIOD_MS })] },
        fleet: { agentConfig: { benchBudgetMs: 0 } },
      });
    }),
  );
  await waitFor('both cities online with 3 nodes each', () => Object.values(cities).every((c) => [...c.orch.registry.all()].filter((n) => n.status === 'online').length === 3), 20_000);
}, 40_000);

afterAll(async () => {
  await Promise.all(Object.values(cities).map((c) => c?.stop()));
  await province?.stop();
});

it("adds the cities' summaries up exactly, in the API, with each city's figures as its own fleet summary counts them", async () => {
  let own: Record<string, FleetSummary> = {};
  // The first summaries go up before the province has named its landmarks: wait for latency rows too.
  const members = await waitFor("both members fresh, each as its city's own fleet summary counts it now", async () => {
    own = Object.fromEntries(await Promise.all(Object.entries(cities).map(async ([c, t]) => [c, (await get<FleetSummary>(t.orch.httpUrl, '/v1/fleet/summary')).body] as const)));
    const r = await get<{ members: MemberState[] }>(province.httpUrl, '/v1/federation/members', viewer.token);
    return r.body.members.every((m) => m.status === 'fresh' && m.latest?.nodes.online === 3 && m.latest.latency.length > 0 && JSON.stringify(m.latest.nominal) === JSON.stringify(own[m.city]!.nominal)) && r.body.members;
  });
  for (const m of members) {
    expect(m.latest!.nominal).toEqual(own[m.city]!.nominal);
    expect(m.latest!.accelerators).toBe(6);
    expect(m.latest!.free.reduce((a, r) => a + r.freeAccelerators, 0)).toBe(6);
    expect(m.latest!.latency.length).toBeGreaterThan(0);
  }
  const sum = (await get<{ nominalPflops: number; nominalDomesticPflops: number; accelerators: number; members: number; fresh: number; byVendor: { vendor: string; nominalPflops: number }[] }>(province.httpUrl, '/v1/federation/summary', viewer.token)).body;
  const [a, b] = [own['city-a']!, own['city-b']!];
  expect(sum.members).toBe(2);
  expect(sum.fresh).toBe(2);
  expect(sum.accelerators).toBe(a.accelerators + b.accelerators);
  expect(sum.nominalPflops).toBe(roundPflops(a.nominal.pflops + b.nominal.pflops));
  expect(sum.nominalDomesticPflops).toBe(roundPflops(a.nominal.domesticPflops + b.nominal.domesticPflops));
  expect(sum.byVendor.map((v) => v.vendor).sort()).toEqual(['huawei', 'nvidia']);
  expect(sum.nominalDomesticPflops).toBeGreaterThan(0);
}, 20_000);

it('opens the federation routes only to member tokens, and shows members summaries, never nodes', async () => {
  const p = province.httpUrl;
  const memberA = TOKENS['city-a'];
  expect((await get(p, '/v1/nodes', memberA)).status).toBe(403);
  expect((await get(p, '/v1/workloads', memberA)).status).toBe(403);
  const post = (token: string | undefined, body: unknown) =>
    fetch(`${p}/v1/federation/summaries`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const latestB = (await get<{ members: MemberState[] }>(p, '/v1/federation/members', memberA)).body.members.find((m) => m.city === 'city-b')!.latest!;
  expect((await post(undefined, { summaries: [latestB] })).status).toBe(401);
  expect((await post(viewer.token, { summaries: [latestB] })).status).toBe(401);
  expect((await post(memberA, { summaries: [{ ...latestB, seq: 999_999 }] })).status).toBe(403);
  expect((await post(memberA, { summaries: [{ city: 'city-a' }] })).status).toBe(400);
  expect((await get(p, '/v1/federation/summary')).status).toBe(401);
  // A member reads the others' summaries, and nothing in them names a node.
  const seen = JSON.stringify((await get(p, '/v1/federation/members', memberA)).body);
  for (const n of cities['city-b'].orch.registry.all()) expect(seen).not.toContain(n.id);
});

it('keeps both cities placing while the province is away for 30 s, then catches every summary up', async () => {
  const before = Object.fromEntries(Object.keys(cities).map((c) => [c, 0]));
  for (const c of Object.keys(cities)) before[c] = (await get<{ summaries: { seq: number }[] }>(province.httpUrl, `/v1/federation/members/${c}/history`, viewer.token)).body.summaries.at(-1)!.seq;
  await relay.cut();
  const cutAt = Date.now();
  // Local placement goes on: each city places and runs a workload while the province is away.
  const ids: Record<string, string> = {};
  for (const [city, t] of Object.entries(cities)) {
    const r = await fetch(`${t.orch.httpUrl}/v1/workloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'during-outage', tenant: 'acme', class: 'batch', run: { runner: 'simulated', durationMs: 60_000 }, needs: { accelerators: 1 } }),
    });
    expect(r.status).toBe(201);
    ids[city] = ((await r.json()) as { id: string }).id;
  }
  for (const [city, t] of Object.entries(cities)) await waitFor(`${city}'s workload running during the outage`, () => t.orch.workloads.get(ids[city]!)?.state === 'running', 5000);
  await waitFor('both cities see the upstream unreachable', async () => {
    const views = await Promise.all(Object.values(cities).map(async (t) => (await get<UpstreamStatus>(t.orch.httpUrl, '/v1/federation/upstream')).body));
    return views.every((v) => !v.reachable && v.lastError !== null && v.backlog > 0);
  });
  await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - cutAt)));
  const held = await Promise.all(Object.values(cities).map(async (t) => (await get<UpstreamStatus>(t.orch.httpUrl, '/v1/federation/upstream')).body.backlog));
  for (const h of held) expect(h).toBeGreaterThanOrEqual(OUTAGE_MS / PERIOD_MS - 2);
  const mendAt = Date.now();
  await relay.mend();

  for (const c of Object.keys(cities)) {
    const history = await waitFor(`${c} caught up`, async () => {
      const h = (await get<{ summaries: { seq: number; atMs: number; nodes: { online: number } }[] }>(province.httpUrl, `/v1/federation/members/${c}/history`, viewer.token)).body.summaries;
      return h.at(-1)!.seq - before[c]! >= held[0]! && h.some((s) => s.atMs > mendAt) && h;
    });
    // No gap: every period of the outage is there, taken when it happened and sent after.
    const seqs = history.map((s) => s.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    expect(history.filter((s) => s.atMs >= cutAt && s.atMs < mendAt).length).toBeGreaterThanOrEqual(OUTAGE_MS / PERIOD_MS - 2);
  }
  for (const t of Object.values(cities)) expect((await get<UpstreamStatus>(t.orch.httpUrl, '/v1/federation/upstream')).body).toMatchObject({ reachable: true, lastError: null, backlog: 0 });
  // The province sees what the cities placed during the outage.
  const members = (await get<{ members: MemberState[] }>(province.httpUrl, '/v1/federation/members', viewer.token)).body.members;
  for (const m of members) expect(m.latest!.free.reduce((a, r) => a + r.freeAccelerators, 0)).toBe(5);
}, 60_000);
