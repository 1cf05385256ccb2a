// What a simulated fleet costs over the in-process transport (agents hand encoded envelopes
// straight to the orchestrator's ingest): RSS per node and CPU at realistic rates (telemetry —
// the heartbeat — every 30 s, RTT probes every 60 s), measured in a child process of its own for
// 10k and 100k nodes. Each size runs alone, so one size's heap never inflates the next.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Figure } from './figures.ts';

const ROLE = 'BANYAN_SIM_BENCH_NODES';
const TELEMETRY_MS = 30_000;
const PROBE_MS = 60_000;
const WINDOW_MS = 60_000;

interface Measured {
  nodes: number;
  startS: number;
  baseRssMb: number;
  rssMb: number;
  heapMb: number;
  cpuPct: number;
  msgsPerS: number;
}

if (process.env[ROLE]) {
  const m = await measure(Number(process.env[ROLE]));
  process.send!(m);
  process.exit(0);
}

async function measure(nodes: number): Promise<Measured> {
  const [{ Orchestrator }, { Fleet }, { InProcessHub }, { loadCatalog }, { CatalogAcceleratorSource }, { loadScenario }, { KNOWN_PLACES }] = await Promise.all([
    import('../orchestrator/orchestrator.ts'),
    import('../simulators/fleet/fleet.ts'),
    import('../simulators/fleet/transport-inproc.ts'),
    import('../agent/catalog/catalog.ts'),
    import('../simulators/fleet/sim-accelerators.ts'),
    import('../simulators/fleet/scenario.ts'),
    import('../orchestrator/geo/city.ts'),
  ]);
  const log = pino({ level: 'silent' });
  const scenario = { ...loadScenario(fileURLToPath(new URL('../simulators/fleet/scenarios/fuzhou-city.json', import.meta.url))), telemetryIntervalMs: TELEMETRY_MS };
  const hub = new InProcessHub('banyan/v1');
  const orch = await Orchestrator.start({
    bus: hub.bus(),
    httpPort: 0,
    dataDir: null,
    log,
    sweepMs: 2000,
    persistMs: 3_600_000,
    places: [...KNOWN_PLACES],
  });
  const catalog = await loadCatalog();
  const stateRoot = mkdtempSync(join(existsShm() ? '/dev/shm' : tmpdir(), 'banyan-simbench-'));
  try {
    gc();
    const baseRssMb = process.memoryUsage().rss / 2 ** 20;
    const fleet = new Fleet({
      brokerUrl: 'mqtt://in-process.invalid:1883',
      topicRoot: 'banyan/v1',
      scenario,
      nodes,
      accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
      log,
      concurrency: 64,
      stateRoot,
      agentConfig: { probeIntervalMs: PROBE_MS, benchBudgetMs: 1000 },
      link: () => hub.link,
    });
    const t0 = Date.now();
    await fleet.start();
    let online = 0;
    while (online < nodes && Date.now() - t0 < 900_000) {
      await new Promise((r) => setTimeout(r, 500));
      online = 0;
      for (const n of orch.registry.all()) if (n.status === 'online') online++;
    }
    if (online < nodes) throw new Error(`only ${online} of ${nodes} simulated nodes came online within 15 min`);
    const startS = (Date.now() - t0) / 1000;
    // Let the start-up burst (births, benches, first probes) pass before the steady window.
    await new Promise((r) => setTimeout(r, TELEMETRY_MS));
    const before = { cpu: process.cpuUsage(), at: performance.now(), msgs: orch.ingest.received.total };
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const cpu = process.cpuUsage(before.cpu);
    const s = (performance.now() - before.at) / 1000;
    gc();
    const mem = process.memoryUsage();
    const m = {
      nodes,
      startS,
      baseRssMb,
      rssMb: mem.rss / 2 ** 20,
      heapMb: mem.heapUsed / 2 ** 20,
      cpuPct: ((cpu.user + cpu.system) / 1e6 / s) * 100,
      msgsPerS: (orch.ingest.received.total - before.msgs) / s,
    };
    await fleet.stop();
    await orch.stop();
    return m;
  } finally {
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function existsShm(): boolean {
  try {
    rmSync(mkdtempSync('/dev/shm/banyan-probe-'), { recursive: true });
    return true;
  } catch {
    return false;
  }
}

export function runChild<T>(file: string, env: Record<string, string>, heapMb: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${heapMb}`],
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`${file} child exited ${code} without a result`))));
  });
}

export default async function simBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const sizes = (process.env.BANYAN_SIM_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
  for (const n of sizes) {
    const m = await runChild<Measured>(fileURLToPath(import.meta.url), { [ROLE]: String(n) }, 16_384);
    const label = n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
    const note = `${n} agents in one process over the in-process transport, telemetry every ${TELEMETRY_MS / 1000} s, probes every ${PROBE_MS / 1000} s; orchestrator included; up in ${m.startS.toFixed(0)} s`;
    figures.push(
      { name: `sim.inproc.rss_mb_per_node.${label}`, value: (m.rssMb - m.baseRssMb) / n, unit: 'MB/node', note: `${note}; RSS ${m.rssMb.toFixed(0)} MB, heap ${m.heapMb.toFixed(0)} MB` },
      { name: `sim.inproc.cpu_pct.${label}`, value: m.cpuPct, unit: '% of one core', note: `${note}; steady ${WINDOW_MS / 1000} s window` },
      { name: `sim.inproc.msgs_per_s.${label}`, value: m.msgsPerS, unit: 'messages/s', note: 'what the orchestrator ingested in that window' },
    );
  }
  return figures;
}
