// GET /metrics and the fleet summary at 10,000 nodes × 8 cards: what one Prometheus scrape and one
// dashboard summary cost the orchestrator's event loop. The registry is filled directly (births,
// telemetry with every reading, benchmarks with TFLOPS/W), so the figure is the render alone.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import type { Accelerator, AcceleratorSample, BenchResult } from '../protocol/messages.ts';
import type { Figure } from './figures.ts';
import { median } from './figures.ts';

const NODES = Number(process.env.BANYAN_METRICS_NODES ?? 10_000);
const CARDS = 8;
const RUNS = 3;

export default async function metricsBench(): Promise<Figure[]> {
  const { Orchestrator } = await import('../orchestrator/orchestrator.ts');
  const { createMetrics } = await import('../orchestrator/metrics.ts');
  const { fleetSummary } = await import('../orchestrator/views.ts');
  const orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: pino({ level: 'silent' }), sweepMs: 3_600_000, persistMs: 3_600_000 });
  try {
    fill(orch.registry, Date.now());
    const metrics = createMetrics(orch);
    let bytes = 0;
    // How long the event loop (ingest's) is held at a stretch while a scrape renders.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const render = await timed(async () => {
      bytes = Buffer.byteLength(await metrics.render());
    });
    loop.disable();
    const summary = await timed(async () => void fleetSummary(orch.registry.all()));
    metrics.close();
    const scale = `${NODES} nodes x ${CARDS} cards, all online with full readings`;
    // CPU time as well as wall: on a shared machine the wall time also counts other processes' turns.
    return [
      { name: `metrics.render_ms.${label()}`, value: render.wall, unit: 'ms', note: `wall, median of ${RUNS} renders of the /metrics text; ${scale}` },
      { name: `metrics.render_cpu_ms.${label()}`, value: render.cpu, unit: 'ms', note: `CPU (user+system), median of ${RUNS}; ${scale}` },
      { name: `metrics.render_max_block_ms.${label()}`, value: loop.max / 1e6, unit: 'ms', note: `longest event-loop stall during the renders (the per-card render yields every 8192 cards); ${scale}` },
      { name: `metrics.bytes.${label()}`, value: bytes / 2 ** 20, unit: 'MiB', note: `size of one /metrics text; ${scale}` },
      { name: `views.fleet_summary_ms.${label()}`, value: summary.wall, unit: 'ms', note: `wall, median of ${RUNS} fleetSummary() (GET /v1/fleet/summary, the dashboard header); ${scale}` },
      { name: `views.fleet_summary_cpu_ms.${label()}`, value: summary.cpu, unit: 'ms', note: `CPU (user+system), median of ${RUNS}; ${scale}` },
    ];
  } finally {
    await orch.stop();
  }
}

/** Median wall and CPU milliseconds of RUNS calls, after one warm-up. */
async function timed(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await fn();
    const dc = process.cpuUsage(c);
    if (i === 0) continue;
    wall.push(performance.now() - t);
    cpu.push((dc.user + dc.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function label(): string {
  return `${NODES >= 1000 ? `${NODES / 1000}k` : NODES}_x${CARDS}`;
}

function fill(registry: import('../orchestrator/registry.ts').Registry, now: number): void {
  for (let i = 0; i < NODES; i++) {
    const id = `bench-node-${i}`;
    const site = `site-${i % 200}`;
    const n = registry.touch(id, site, 's-1');
    const accelerators: Accelerator[] = Array.from({ length: CARDS }, (_, index) => ({
      vendor: i % 2 ? 'huawei' : 'nvidia',
      model: i % 2 ? 'Ascend 910B' : 'NVIDIA H100 SXM5 80GB',
      index,
      uuid: `GPU-${i.toString(16).padStart(8, '0')}-${index}`,
      pciBusId: `0000:${(0x18 + index * 0x10).toString(16)}:00.0`,
      pciId: '',
      memoryMib: 65536,
      driverVersion: '1',
      firmwareVersion: '',
      health: 'ok',
      domestic: i % 2 === 1,
      nominal: { tflops: 400, basis: 'fp16', source: 'bench', kind: 'nominal', weak: false },
      detectedBy: 'bench',
      note: '',
      tdpW: 400,
      nominalTflopsPerWatt: 1,
    }));
    registry.setBirth(n, {
      host: { hostname: id, os: 'linux', arch: 'x64', cpuModel: 'cpu', cpuCores: 64, memoryMib: 524288 },
      labels: {},
      location: { lat: 26, lon: 119, site, district: 'd', siteKind: 'dc' },
      accelerators,
      agentVersion: 'bench',
      runningWorkloads: [],
      telemetryIntervalMs: 5000,
      probeAddress: '',
    });
    const samples: AcceleratorSample[] = accelerators.map((a) => ({
      index: a.index,
      utilPct: (i * 7 + a.index) % 100,
      memoryUsedMib: 1024 * a.index,
      memoryTotalMib: 65536,
      temperatureC: 50 + a.index,
      powerW: 200 + a.index,
      powerLimitW: 400,
      health: 'ok',
    }));
    n.telemetry = { cpuPct: 10, memoryUsedPct: 20, load1: 1, runningWorkloads: 0, accelerators: samples, acceleratorErrors: [], atMs: now };
    const results: BenchResult[] = accelerators.map((a) => ({
      target: `acc:${a.index}`,
      backend: 'bench',
      fp16: { tflops: 300, basis: 'fp16', source: 'bench', kind: 'measured', weak: false },
      rawTflops: 300,
      precision: 'fp16',
      latencyP50Ms: 1,
      latencyP99Ms: 2,
      ratioToNominal: 0.75,
      shape: '',
      versions: {},
      atMs: now,
      durationMs: 1,
      avgPowerW: 380,
      tflopsPerWatt: 300 / 380,
    }));
    n.bench = { results, atMs: now };
  }
}
