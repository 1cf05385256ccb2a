// detect.wall_ms: detection of every vendor together (two cards each) through the fake vendor
// CLIs and a fake sysfs tree — the real detection code, real child processes, one per tool
// invocation. Median of several runs after a warm-up.
import { detectAccelerators } from '../agent/detect/index.ts';
import { loadCatalog } from '../agent/catalog/catalog.ts';
import { prepareSimulatedHost, type HardwareScenario } from '../simulators/hardware/host.ts';
import { median, type Figure } from './figures.ts';

const RUNS = 9;

const ALL_VENDORS: HardwareScenario = {
  vendors: {
    nvidia: { count: 2 },
    amd: { count: 2 },
    huawei: { count: 2 },
    cambricon: { count: 2 },
    hygon: { count: 2 },
    kunlunxin: { count: 2 },
    iluvatar: { count: 2 },
    metax: { count: 2 },
    mthreads: { count: 2 },
    enflame: { count: 2 },
  },
};

export default async function bench(): Promise<Figure[]> {
  const host = await prepareSimulatedHost(ALL_VENDORS);
  const opts = { env: host.env, sysfsRoot: host.sysfsRoot };
  const catalog = await loadCatalog();
  const warm = await detectAccelerators({ ...opts, catalog });
  if (warm.accelerators.length !== 20 || warm.warnings.length) {
    throw new Error(`detect bench: expected 20 accelerators and no warnings, got ${warm.accelerators.length} and ${JSON.stringify(warm.warnings)}`);
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await detectAccelerators(opts);
    times.push(performance.now() - t0);
  }
  return [
    {
      name: 'detect.wall_ms',
      value: median(times),
      unit: 'ms',
      note: `median of ${RUNS}; 10 vendors × 2 cards (Intel left out: its xpu-smi clashes with Kunlunxin's), fake CLIs on PATH, catalogue load included; target ≤300`,
    },
  ];
}
