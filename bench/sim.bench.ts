// What a simulated fleet costs over the in-process transport (agents hand encoded envelopes
// straight to the orchestrator's ingest): RSS per node and CPU at realistic rates (telemetry —
// the heartbeat — every 30 s, RTT probes every 60 s), measured in a child process of its own for
// 10k nodes (20k and 100k on request: see budgetMs). Each size runs alone, so one size's heap
// never inflates the next.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { effectiveBudgetMs, type Figure } from './figures.ts';

const ROLE = 'BANYAN_SIM_BENCH_NODES';
const STATE_ENV = 'BANYAN_SIM_BENCH_STATE';
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
  // The process ends here: a graceful stop of every agent would only add minutes to the run.
  process.send!(m, undefined, {}, () => process.exit(0));
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
  // Made and removed by the parent, which outlives this process however it ends.
  const stateRoot = process.env[STATE_ENV]!;
  {
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
    say(`${nodes} agents started in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    let online = 0;
    let lastSaid = Date.now();
    while (online < nodes) {
      await new Promise((r) => setTimeout(r, 500));
      online = 0;
      for (const n of orch.registry.all()) if (n.status === 'online') online++;
      if (Date.now() - lastSaid > 10_000) {
        say(`${online} of ${nodes} online after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        lastSaid = Date.now();
      }
    }
    const startS = (Date.now() - t0) / 1000;
    say(`${nodes} online in ${startS.toFixed(0)} s; settling ${TELEMETRY_MS / 1000} s, then a ${WINDOW_MS / 1000} s window`);
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
    return m;
  }
}

function say(line: string): void {
  process.stderr.write(`sim.bench: ${line}\n`);
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

/** Forks this file as one size's measurement; killed (with its heap) if it runs past timeoutMs. */
export function runChild<T>(file: string, env: Record<string, string>, heapMb: number, timeoutMs = Infinity): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${heapMb}`],
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    let timedOut = false;
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs)
      : undefined;
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result);
      else if (timedOut) reject(new Error(`no result within ${Math.round(timeoutMs / 1000)} s`));
      else reject(new Error(`${file} child ${signal ? `was killed by ${signal}` : `exited ${code}`} without a result`));
    });
  });
}

/**
 * The runner's limit for this module (bench/run.ts). On the 2-core machine 10k agents take
 * ~2.5 min (up in ~40 s, 30 s settle, 60 s window). 20k would take ~4 more minutes, which the
 * whole run's 14 min cannot spare, and 100k did not finish in 20 min, so larger sizes are opt-in
 * (BANYAN_SIM_BENCH_SIZES=10000,20000 with BANYAN_SIM_BENCH_BUDGET_MS raised to match).
 */
export const budgetMs = Number(process.env.BANYAN_SIM_BENCH_BUDGET_MS ?? 150_000);
/** Measuring takes a settle and a window after the fleet is up; a size that cannot have them is not started. */
const MIN_SIZE_MS = TELEMETRY_MS + WINDOW_MS + 30_000;

export default async function simBench(): Promise<Figure[]> {
  const started = Date.now();
  const limitMs = effectiveBudgetMs(budgetMs);
  const figures: Figure[] = [];
  const sizes = (process.env.BANYAN_SIM_BENCH_SIZES ?? '10000').split(',').map(Number);
  const failed: string[] = [];
  /** Seconds to bring one node online, from the last size measured: predicts the next size's need. */
  let upSPerNode: number | undefined;
  for (const n of sizes) {
    const label = n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
    // What the module has left, less a margin to report before the runner's own limit.
    const leftMs = limitMs - (Date.now() - started) - 10_000;
    const needMs = upSPerNode === undefined ? MIN_SIZE_MS : MIN_SIZE_MS + upSPerNode * n * 1000 * 1.2;
    if (leftMs < needMs) {
      failed.push(`${label} not started: it needs ~${Math.round(needMs / 1000)} s, ${Math.max(0, Math.round(leftMs / 1000))} s of the module's ${Math.round(limitMs / 1000)} s were left`);
      continue;
    }
    let m: Measured;
    // The agents' state dirs (in /dev/shm where there is one) go whatever ends the child, and
    // when the runner stops this module too (SIGTERM, then SIGKILL after a grace).
    const stateRoot = mkdtempSync(join(existsShm() ? '/dev/shm' : tmpdir(), 'banyan-simbench-'));
    const cleanup = () => rmSync(stateRoot, { recursive: true, force: true });
    const onTerm = () => {
      cleanup();
      process.exit(143);
    };
    process.once('SIGTERM', onTerm);
    try {
      m = await runChild<Measured>(fileURLToPath(import.meta.url), { [ROLE]: String(n), [STATE_ENV]: stateRoot }, 16_384, leftMs);
    } catch (e) {
      failed.push(`${label} failed: ${(e as Error).message}`);
      continue;
    } finally {
      process.off('SIGTERM', onTerm);
      cleanup();
    }
    upSPerNode = m.startS / n;
    const note = `${n} agents in one process over the in-process transport, telemetry every ${TELEMETRY_MS / 1000} s, probes every ${PROBE_MS / 1000} s; orchestrator included; up in ${m.startS.toFixed(0)} s`;
    figures.push(
      { name: `sim.inproc.rss_mb_per_node.${label}`, value: (m.rssMb - m.baseRssMb) / n, unit: 'MB/node', note: `${note}; RSS ${m.rssMb.toFixed(0)} MB, heap ${m.heapMb.toFixed(0)} MB` },
      { name: `sim.inproc.cpu_pct.${label}`, value: m.cpuPct, unit: '% of one core', note: `${note}; steady ${WINDOW_MS / 1000} s window` },
      { name: `sim.inproc.msgs_per_s.${label}`, value: m.msgsPerS, unit: 'messages/s', note: 'what the orchestrator ingested in that window' },
    );
  }
  // Sizes that did not finish are left out, never estimated; the run and the RSS note say which.
  if (!figures.length) throw new Error(`no fleet size finished: ${failed.join('; ')}`);
  if (failed.length) {
    say(`left out: ${failed.join('; ')}`);
    const rss = figures.findLast((f) => f.name.startsWith('sim.inproc.rss_mb_per_node.'))!;
    rss.note += `; left out: ${failed.join('; ')}`;
  }
  return figures;
}
