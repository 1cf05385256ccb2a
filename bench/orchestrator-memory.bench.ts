// What the orchestrator holds per node: its process's RSS growth per registered node with 10,000
// live simulated nodes that each sent a birth, a benchmark result, telemetry and an RTT report.
// Three processes beside a private Mosquitto, so the figure is the orchestrator's alone: the
// orchestrator as `banyan orchestrator --broker` runs it (lowdb state in a temp dir, dashboard
// and metrics plugins), the fleet (real Agent instances with simulated hardware on the in-process
// hub, bridged to the broker over one MQTT connection, so 10k agents start in seconds), and this
// one. The embedded broker (aedes, one connection per node) is not in this figure: its memory per
// connected client is the broker's, which a city-sized deployment runs apart (README, Scaling).
//
// Fixed costs (code compiled on the first messages, buffers, the HTTP server) are paid by a
// warm-up fleet first; the figure is the growth from there to warm-up + 10k, after a full GC.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { effectiveBudgetMs, type Figure } from './figures.ts';

const ROLE = 'BANYAN_MEMORY_BENCH_ROLE';
const ROOT = 'banyan/v1';
const NODES = Number(process.env.BANYAN_MEMORY_BENCH_NODES ?? 10_000);
const WARM_NODES = Number(process.env.BANYAN_MEMORY_BENCH_WARM_NODES ?? 500);
/** Short enough that every node has sent telemetry and an RTT report soon after its birth. */
const TELEMETRY_MS = 8000;
const PROBE_MS = 8000;
/** After the last node is complete, before the reading. */
const SETTLE_MS = 2000;
/** bench/run.ts's limit; the issue bounds this module under 45 s. */
export const budgetMs = 45_000;
/** The fleet must be up and reported in this; past it the figure is left out, never estimated. */
const UP_LIMIT_MS = 30_000;

/** What the orchestrator process says: how many nodes it holds in full, and its memory after a GC. */
interface OrchReport {
  kind: 'orch';
  /** Online nodes with a birth, a bench result, telemetry and an RTT report. */
  complete: number;
  registered: number;
  /** Registered nodes that are not online, or have sent no bench, telemetry or RTT report yet. */
  missing: { online: number; bench: number; telemetry: number; latency: number };
  rejected: number;
  memory?: Memory;
}
interface Memory {
  rssKb: number;
  heapKb: number;
  externalKb: number;
}
type FleetReport = { kind: 'fleet'; started: number };
type Command = { kind: 'measure'; snapshot?: string } | { kind: 'breakdown' } | { kind: 'start'; nodes: number; prefix: string };
/** Heap (KB) that each part of the orchestrator's state held, measured by letting it go. */
type BreakdownReport = { kind: 'breakdown'; parts: { part: string; heapKb: number; rssKb: number }[] };

if (process.env[ROLE]) process.on('disconnect', () => process.exit(0));
if (process.env[ROLE] === 'orchestrator') await orchestratorRole(process.env.BANYAN_MEMORY_BENCH_BROKER!, process.env.BANYAN_MEMORY_BENCH_STATE!);
if (process.env[ROLE] === 'fleet') await fleetRole(process.env.BANYAN_MEMORY_BENCH_BROKER!, process.env.BANYAN_MEMORY_BENCH_STATE!);

async function orchestratorRole(brokerUrl: string, stateDir: string): Promise<void> {
  const [{ Orchestrator }, { dashboardPlugin }, { metricsPlugin }, pino] = await Promise.all([
    import('../orchestrator/orchestrator.ts'),
    import('../orchestrator/dashboard/plugin.ts'),
    import('../orchestrator/metrics.ts'),
    import('pino'),
  ]);
  const orch = await Orchestrator.start({
    brokerUrl,
    httpPort: 0,
    dataDir: join(stateDir, 'orchestrator'),
    log: pino.default({ level: 'silent' }),
    plugins: [dashboardPlugin, metricsPlugin],
  });
  const report = (memory?: Memory): OrchReport => {
    let complete = 0;
    const missing = { online: 0, bench: 0, telemetry: 0, latency: 0 };
    for (const n of orch.registry.all()) {
      if (n.status !== 'online') { missing.online++; (missing as Record<string, number>)[n.status + ':' + n.statusReason] = ((missing as Record<string, number>)[n.status + ':' + n.statusReason] ?? 0) + 1; }
      if (!n.bench) missing.bench++;
      if (!n.telemetry) missing.telemetry++;
      if (!n.latency) missing.latency++;
      if (n.status === 'online' && n.bench && n.telemetry && n.latency) complete++;
    }
    const rejected = [...orch.ingest.rejected.values()].reduce((a, b) => a + b, 0);
    return { kind: 'orch', complete, registered: orch.registry.size, missing, rejected, memory };
  };
  process.on('message', (m: Command) => {
    if (m.kind === 'measure') {
      const memory = measureMemory();
      // For a look with a heap profiler (DevTools, Memory tab): where each node's bytes are held.
      if (m.snapshot) writeHeapSnapshot(m.snapshot);
      process.send!(report(memory));
    }
    if (m.kind === 'breakdown') void breakdown(orch).then((parts) => process.send!({ kind: 'breakdown', parts } satisfies BreakdownReport));
  });
  setInterval(() => process.send!(report()), 250);
}

/**
 * Where the memory goes, by experiment: each part of the per-node state is let go in turn and the
 * heap measured after a full GC; what a part held is the drop. Destroys the orchestrator's state,
 * so it runs last (BANYAN_MEMORY_BENCH_BREAKDOWN=1). Reaches into private fields on purpose.
 */
async function breakdown(orch: import('../orchestrator/orchestrator.ts').Orchestrator): Promise<BreakdownReport['parts']> {
  const ids = [...orch.registry.all()].map((n) => n.id);
  const nodes = [...orch.registry.all()];
  const steps: [string, () => void][] = [
    ['ingest dedup windows (msg ids, seqs)', () => {
      orch.ingest['windows'].clear();
      orch.ingest['msgIds']['pages'].length = 0;
    }],
    ['latency model (points, samples)', () => ids.forEach((id) => orch.latency.remove(id))],
    ['placement view (fleet index)', () => ids.forEach((id) => orch.fleet.index.remove(id))],
    ['telemetry (latest per node)', () => nodes.forEach((n) => (n.telemetry = null))],
    ['RTT report (latest per node)', () => nodes.forEach((n) => (n.latency = null))],
    ['bench report (latest per node)', () => nodes.forEach((n) => (n.bench = null))],
    ['birth (per node)', () => nodes.forEach((n) => (n.birth = null))],
    ['registry records', () => orch.registry['nodes'].clear()],
  ];
  // No sweep, persist or flush may refill what is let go.
  for (const t of orch['timers']) clearInterval(t);
  const out: BreakdownReport['parts'] = [];
  let before = measureMemory();
  for (const [part, release] of steps) {
    release();
    const after = measureMemory();
    out.push({ part, heapKb: before.heapKb - after.heapKb, rssKb: before.rssKb - after.rssKb });
    before = after;
  }
  return out;
}

/** RSS and heap after full collections, so garbage the next GC would free does not count. */
function measureMemory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the orchestrator role needs --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { rssKb: m.rss / 1024, heapKb: m.heapUsed / 1024, externalKb: (m.external + m.arrayBuffers) / 1024 };
}

/**
 * Real agents (simulated hardware, the in-process hub) whose hub speaks to the broker through one
 * MQTT connection: node messages go out with their retain flags; commands and the orchestrator's
 * presence come back to the hub.
 */
async function fleetRole(brokerUrl: string, stateRoot: string): Promise<void> {
  const [{ Fleet }, { InProcessHub }, { loadCatalog }, { CatalogAcceleratorSource }, { loadScenario }, { isRetainedTopic, orchestratorStateTopic }, mqtt, pino] =
    await Promise.all([
      import('../simulators/fleet/fleet.ts'),
      import('../simulators/fleet/transport-inproc.ts'),
      import('../agent/catalog/catalog.ts'),
      import('../simulators/fleet/sim-accelerators.ts'),
      import('../simulators/fleet/scenario.ts'),
      import('../protocol/topics.ts'),
      import('mqtt'),
      import('pino'),
    ]);
  const log = pino.default({ level: 'silent' });
  const scenario = { ...loadScenario(fileURLToPath(new URL('../simulators/fleet/scenarios/fuzhou-city.json', import.meta.url))), telemetryIntervalMs: TELEMETRY_MS };
  const catalog = await loadCatalog();
  const hub = new InProcessHub(ROOT);
  const bus = hub.bus();
  const client = await mqtt.default.connectAsync(brokerUrl, { clientId: 'memory-bench-fleet', clean: true, reconnectPeriod: 0 });
  // The orchestrator's presence is published retained; one that arrives live (the fleet subscribed
  // first) has its retain flag cleared by the broker, yet agents that start later must get it.
  const presence = orchestratorStateTopic(ROOT);
  client.on('message', (topic, payload, packet) => void bus.publish(topic, payload, 1, packet.retain || topic === presence));
  await client.subscribeAsync([presence, `${ROOT}/+/+/cmd`], { qos: 1 });
  await bus.open((topic, payload) => void client.publishAsync(topic, Buffer.from(payload), { qos: 1, retain: isRetainedTopic(ROOT, topic) }));
  let started = 0;
  const fleets: InstanceType<typeof Fleet>[] = [];
  process.on('message', (m: Command) => {
    if (m.kind !== 'start') return;
    const fleet = new Fleet({
      brokerUrl: 'mqtt://in-process.invalid:1883',
      topicRoot: ROOT,
      scenario,
      nodes: m.nodes,
      nodePrefix: m.prefix,
      accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
      log,
      concurrency: 64,
      stateRoot: join(stateRoot, m.prefix),
      agentConfig: { probeIntervalMs: PROBE_MS, benchBudgetMs: 1000 },
      link: () => hub.link,
    });
    fleets.push(fleet);
    void fleet.start().then(() => {
      started += m.nodes;
      process.send!({ kind: 'fleet', started } satisfies FleetReport);
    });
  });
  process.send!({ kind: 'fleet', started } satisfies FleetReport);
}

function child<R>(role: string, env: Record<string, string>, onReport: (r: R) => void): ChildProcess {
  const c = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=8192'],
    env: { ...process.env, ...env, [ROLE]: role, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  c.on('message', (m) => onReport(m as R));
  return c;
}

async function until(what: string, ok: () => boolean, deadline: number, state?: () => string): Promise<void> {
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${state ? ` (${state()})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function say(line: string): void {
  process.stderr.write(`orchestrator-memory.bench: ${line}\n`);
}

export default async function orchestratorMemoryBench(): Promise<Figure[]> {
  const started = Date.now();
  // A margin to report and clean up before the runner's own limit.
  const deadline = started + effectiveBudgetMs(budgetMs) - 5000;
  const { PrivateMosquitto } = await import('../simulators/chaos/mosquitto.ts');
  const broker = await PrivateMosquitto.start();
  const stateRoot = mkdtempSync(join(shmOrTmp(), 'banyan-memory-bench-'));
  const children: ChildProcess[] = [];
  let orch: OrchReport | null = null;
  let fleet: FleetReport | null = null;
  const env = { BANYAN_MEMORY_BENCH_BROKER: broker.url, BANYAN_MEMORY_BENCH_STATE: stateRoot };
  const measure = async (snapshot?: string): Promise<Memory> => {
    orch = { ...orch!, memory: undefined };
    children[0]!.send({ kind: 'measure', snapshot } satisfies Command);
    await until('a memory reading', () => orch?.memory !== undefined, deadline);
    return orch!.memory!;
  };
  // Complete nodes, as the orchestrator counts them: online with every kind of report.
  const complete = (n: number, what: string) =>
    until(what, () => (orch?.complete ?? 0) >= n, Math.min(deadline, Date.now() + UP_LIMIT_MS), () =>
      `${orch?.complete ?? 0} complete of ${orch?.registered ?? 0} registered (missing: ${JSON.stringify(orch?.missing)}), ${orch?.rejected ?? 0} messages rejected; ${fleet?.started ?? 0} agents started`);
  try {
    children.push(child<OrchReport>('orchestrator', env, (r) => (orch = { ...r, memory: r.memory ?? orch?.memory })));
    children.push(child<FleetReport>('fleet', env, (r) => (fleet = r)));
    await until('the orchestrator and the fleet process', () => orch !== null && fleet !== null, deadline);
    children[1]!.send({ kind: 'start', nodes: WARM_NODES, prefix: 'warm-' } satisfies Command);
    await complete(WARM_NODES, `${WARM_NODES} warm-up nodes`);
    const base = await measure();
    const t0 = Date.now();
    children[1]!.send({ kind: 'start', nodes: NODES, prefix: '' } satisfies Command);
    await complete(WARM_NODES + NODES, `${NODES} nodes with birth, bench, telemetry and RTTs`);
    const upS = (Date.now() - t0) / 1000;
    // The state write in flight ends; it holds a chunk of the file and the list of node records.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const full = await measure(process.env.BANYAN_MEMORY_BENCH_SNAPSHOT);
    say(`${NODES} nodes up in ${upS.toFixed(1)} s; RSS ${(base.rssKb / 1024).toFixed(0)} → ${(full.rssKb / 1024).toFixed(0)} MB`);
    const k = NODES >= 1000 ? `${Math.round(NODES / 1000)}k` : String(NODES);
    const note = `${NODES} simulated agents (fuzhou-city, 1–8 cards each) through a private Mosquitto, each with birth, bench, telemetry and RTTs; orchestrator as banyan orchestrator --broker (lowdb, dashboard, metrics), broker not counted; after a full GC; growth from ${WARM_NODES} warm-up nodes; RSS ${(base.rssKb / 1024).toFixed(0)} → ${(full.rssKb / 1024).toFixed(0)} MB; up in ${upS.toFixed(0)} s`;
    const figures: Figure[] = [
      { name: `orchestrator.rss_kb_per_node.${k}`, value: (full.rssKb - base.rssKb) / NODES, unit: 'KB/node', note: `${note}; bar ≤ 10` },
      { name: `orchestrator.heap_kb_per_node.${k}`, value: (full.heapKb - base.heapKb) / NODES, unit: 'KB/node', note: `V8 heap used, same run: heap ${(base.heapKb / 1024).toFixed(0)} → ${(full.heapKb / 1024).toFixed(0)} MB` },
    ];
    if (process.env.BANYAN_MEMORY_BENCH_BREAKDOWN) {
      // The fleet goes first, so nothing refills what the breakdown lets go.
      children[1]!.kill('SIGKILL');
      let parts: BreakdownReport['parts'] | undefined;
      children[0]!.on('message', (m: OrchReport | BreakdownReport) => m.kind === 'breakdown' && (parts = m.parts));
      children[0]!.send({ kind: 'breakdown' } satisfies Command);
      await until('the breakdown', () => parts !== undefined, Date.now() + 60_000);
      const total = WARM_NODES + NODES;
      for (const p of parts!) {
        say(`${p.part.padEnd(40)} heap ${(p.heapKb / total).toFixed(2).padStart(7)} KB/node  rss ${(p.rssKb / total).toFixed(2).padStart(7)} KB/node`);
        figures.push({ name: `orchestrator.heap_kb_per_node.${k}.${p.part.split(' (')[0]!.replaceAll(' ', '_')}`, value: p.heapKb / total, unit: 'KB/node', note: `${p.part}: heap freed by letting it go, per node (${total} nodes)` });
      }
    }
    return figures;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await broker.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

function shmOrTmp(): string {
  try {
    rmSync(mkdtempSync('/dev/shm/banyan-probe-'), { recursive: true });
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}
