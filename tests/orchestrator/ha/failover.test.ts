// Two orchestrator processes on one PostgreSQL store and one Mosquitto, a simulated fleet with
// pinned workloads: SIGKILL the leader, then SIGSTOP the next one past its lease. The standby
// leads within lease + 2 s, nothing placed is lost, nothing starts twice, and a deposed leader's
// commands are refused by the agents and counted.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCatalog } from '../../../agent/catalog/catalog.ts';
import { encode } from '../../../protocol/codec.ts';
import { SCHEMA_VERSION, type Command } from '../../../protocol/messages.ts';
import { nodeTopic } from '../../../protocol/topics.ts';
import { Fleet } from '../../../simulators/fleet/fleet.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { CatalogAcceleratorSource } from '../../../simulators/fleet/sim-accelerators.ts';
import { OrchestratorProcess } from '../../helpers/ha-cluster.ts';
import { PrivateMosquitto } from '../../../simulators/chaos/mosquitto.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { quietLog } from '../../helpers/quiet-log.ts';
import { waitFor } from '../../helpers/wait.ts';

const LEASE_MS = 2000;
const run = randomUUID().slice(0, 8);
const topicRoot = `ha-${run}/banyan/v1`;
let db: TestDatabase | null;
let broker: PrivateMosquitto;
let fleet: Fleet;
let stateRoot: string;
const procs: OrchestratorProcess[] = [];
/** workload id -> the dispatches (correlation ids) of the run commands the agents accepted for it */
const runs = new Map<string, Set<string>>();
/** Run commands the agents accepted, each delivery (a re-sent dispatch counts again). */
let runDeliveries = 0;
/** Called with each run command an agent accepts (the window test kills the leader there). */
let onRun: (workloadId: string) => void = () => undefined;
let fencedAtAgents = 0;

const scenario = validateScenario({ name: 'ha', seed: 5, nodes: 6, telemetryIntervalMs: 500, siteKinds: ['data-centre'], mix: [{ vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 }] });

async function orchestrator(): Promise<OrchestratorProcess> {
  const p = await OrchestratorProcess.start({ storeUrl: db!.url, brokerUrl: broker.url, topicRoot, leaseMs: LEASE_MS });
  procs.push(p);
  return p;
}

beforeAll(async () => {
  db = await createTestDatabase();
  if (!db) return;
  broker = await PrivateMosquitto.start();
  stateRoot = mkdtempSync(join(tmpdir(), 'banyan-ha-'));
  const catalog = await loadCatalog();
  fleet = new Fleet({
    brokerUrl: broker.url,
    topicRoot,
    scenario,
    nodePrefix: `h${run}-`,
    stateRoot,
    accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
    log: quietLog,
    agentConfig: { benchBudgetMs: 0, probeIntervalMs: 60_000 },
  });
  await fleet.start();
  for (const a of fleet.agents.values()) {
    a.on('command', (c) => {
      if (c.action !== 'run') return;
      runs.set(c.run.workloadId, (runs.get(c.run.workloadId) ?? new Set()).add(c.correlationId));
      runDeliveries++;
      onRun(c.run.workloadId);
    });
    a.on('fenced', () => fencedAtAgents++);
  }
}, 30_000);

afterAll(async () => {
  for (const p of procs) await p.stop();
  await fleet?.stop();
  await broker?.stop();
  if (!process.env.BANYAN_KEEP_TEST_DB) await db?.drop();
  else console.log('kept', db?.url);
  if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
}, 30_000);

/** What a deposed leader's late publish looks like on the wire: a run command stamped with its epoch. */
async function lateCommand(nodeId: string, site: string, epoch: number): Promise<void> {
  const c = await mqtt.connectAsync(broker.url, { clientId: `late-${randomUUID().slice(0, 6)}` });
  const cmd: Command = { correlationId: randomUUID(), leaderEpoch: epoch, action: 'run', run: { workloadId: 'late-one', specJson: '{}', acceleratorIndexes: [0] } };
  const env = { schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: '_orchestrator', sessionId: 'deposed', seq: 1, sentAtMs: Date.now(), body: 'cmd' as const, cmd };
  await c.publishAsync(nodeTopic(topicRoot, site, nodeId, 'cmd'), Buffer.from(encode(env)), { qos: 1 });
  await c.endAsync();
}

it('fails over on SIGKILL and on SIGSTOP, fencing the deposed leader', async (ctx) => {
  if (!db) return ctx.skip();
  const a = await orchestrator();
  await waitFor('A leads', async () => (await a.ha()).role === 'leader', 5000);
  const b = await orchestrator();
  expect((await b.ha()).role).toBe('standby');
  await waitFor('6 nodes online at A', async () => (await a.get<{ nodes: { status: string }[] }>('/v1/nodes')).nodes.filter((n) => n.status === 'online').length === 6, 15_000);

  // A standby turns writes away, naming the leader.
  const refused = await b.post('/v1/workloads', {});
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { leaderId: string }).leaderId).toBe(a.id);

  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await a.post('/v1/workloads', { name: `w${i}`, tenant: 't', class: 'batch', run: { runner: 'simulated', durationMs: 600_000 }, needs: { accelerators: 1 } });
    expect(r.status).toBe(201);
    ids.push(((await r.json()) as { id: string }).id);
  }
  type W = { id: string; state: string; nodeId: string; acceleratorIndexes: number[] };
  const before = await waitFor('4 workloads running', async () => {
    const ws = (await a.get<{ workloads: W[] }>('/v1/workloads')).workloads;
    return ws.length === 4 && ws.every((w) => w.state === 'running') && ws;
  }, 15_000);
  const epochA = (await a.ha()).epoch;
  // A transition is acknowledged to nobody, so it counts once committed (within milliseconds).
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  await waitFor('the running states committed', async () => (await pool.query("SELECT 1 FROM workloads WHERE state = 'running'")).rowCount === 4, 2000).finally(() => pool.end());

  // SIGKILL the leader: B leads within lease + 2 s.
  a.signal('SIGKILL');
  const killedAt = performance.now();
  await waitFor('B leads', async () => (await b.ha()).role === 'leader', LEASE_MS + 2000, 50);
  expect(performance.now() - killedAt).toBeLessThan(LEASE_MS + 2000);
  const epochB = (await b.ha()).epoch;
  expect(epochB).toBeGreaterThan(epochA);

  // Nothing placed or reserved is lost; nothing started twice.
  await new Promise((r) => setTimeout(r, 1500));
  const after = (await b.get<{ workloads: W[] }>('/v1/workloads')).workloads;
  const pick = (ws: W[]) => ws.map((w) => ({ id: w.id, nodeId: w.nodeId, acc: w.acceleratorIndexes, state: w.state })).sort((x, y) => x.id.localeCompare(y.id));
  expect(pick(after)).toEqual(pick(before));
  for (const id of ids) expect(runs.get(id)?.size, `dispatches of ${id}`).toBe(1);
  // B asked the nodes where A's dispatches stand: the same dispatches again, none run twice.
  expect(runDeliveries).toBeGreaterThanOrEqual(2 * ids.length);

  // A's late command (its epoch) is refused by the agent and counted by the leader.
  const spec = fleet.specs[0]!;
  const fencedBefore = (await b.ha()).fencedCommands;
  await lateCommand(spec.id, spec.site.id, epochA);
  await waitFor('the late command refused and counted', async () => (await b.ha()).fencedCommands > fencedBefore, 5000);
  expect(fencedAtAgents).toBeGreaterThan(0);
  expect(runs.get('late-one')).toBeUndefined();

  // SIGSTOP the new leader past its lease: a third replica takes over; B, woken, finds itself deposed.
  const c = await orchestrator();
  b.signal('SIGSTOP');
  await waitFor('C leads', async () => (await c.ha()).role === 'leader', LEASE_MS + 3000, 50);
  b.signal('SIGCONT');
  await waitFor('B knows it is deposed', async () => (await b.ha()).role === 'standby', 3000);
  expect((await b.post('/v1/workloads', {})).status).toBe(503);
  const fencedC = (await c.ha()).fencedCommands;
  await lateCommand(spec.id, spec.site.id, epochB);
  await waitFor('B-epoch command refused and counted', async () => (await c.ha()).fencedCommands > fencedC, 5000);
  const final = (await c.get<{ workloads: W[] }>('/v1/workloads')).workloads;
  expect(pick(final)).toEqual(pick(before));
  for (const id of ids) expect(runs.get(id)?.size).toBe(1);
}, 60_000);

it('a leader killed the moment its run command reaches the node: the successor knows that work, and it runs once', async (ctx) => {
  if (!db) return ctx.skip();
  const leaders = await Promise.all(procs.filter((p) => p.proc.exitCode === null && p.proc.signalCode === null).map(async (p) => ({ p, ha: await p.ha().catch(() => null) })));
  const leader = leaders.find((x) => x.ha?.role === 'leader')!.p;
  const standby = leaders.find((x) => x.ha?.role === 'standby')!.p;
  const known = new Set(runs.keys());
  let windowId = '';
  onRun = (id) => {
    if (known.has(id) || windowId) return;
    windowId = id;
    leader.signal('SIGKILL');
  };
  await leader.post('/v1/workloads', { name: 'window', tenant: 't', class: 'batch', run: { runner: 'simulated', durationMs: 600_000 }, needs: { accelerators: 1 } }).catch(() => undefined);
  await waitFor('the run command reached a node and its leader died', () => windowId !== '' && leader.proc.signalCode === 'SIGKILL', 10_000);
  onRun = () => undefined;
  await waitFor('the standby leads', async () => (await standby.ha()).role === 'leader', LEASE_MS + 3000, 50);
  type W = { id: string; state: string; nodeId: string };
  const w = await waitFor('the successor has that work running', async () => {
    const x = (await standby.get<{ workloads: W[] }>('/v1/workloads')).workloads.find((y) => y.id === windowId);
    return x?.state === 'running' && x;
  }, 10_000);
  expect(fleet.agents.get(w.nodeId)).toBeDefined();
  expect(runs.get(windowId)?.size, 'dispatches of the window workload').toBe(1);
}, 30_000);
