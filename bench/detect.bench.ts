// detect.wall_ms: detection of every vendor together (two cards each) through the fake vendor
// CLIs and a fake sysfs tree — the real detection code, real child processes, one per tool
// invocation. Median of several runs after a warm-up. Beside it, where the time goes:
//   detect.own_ms        our own work: the same detection with the tools' answers replayed from
//                        memory (catalogue load, sysfs walk, parsing, joining), no process at all;
//   detect.own_cpu_ms    the CPU time of that (user + system), which the machine's load does not
//                        stretch; detect.cpu_ms: this process's CPU time in a real detection;
//   detect.tools_ms      time spent waiting on tool processes (start to exit, summed over the
//                        distinct invocations; they overlap, so the sum exceeds the wall time);
//   detect.spawn_floor_ms  the same number of trivial processes (/bin/true) through the same
//                        runner: what starting that many processes costs on this machine now;
//   detect.wall_ms.node_fakes  the wall time when every fake tool is a node process (node's
//                        start-up in each), i.e. without the answers rendered at set-up.
import { existsSync } from 'node:fs';
import { DEFAULT_TOOL_TIMEOUT_MS, detectAccelerators } from '../agent/detect/index.ts';
import { createToolRunner, type ToolResult, type ToolRunner } from '../agent/detect/exec.ts';
import { loadCatalog } from '../agent/catalog/catalog.ts';
import { prepareSimulatedHost, type HardwareScenario } from '../simulators/hardware/host.ts';
import { median, type Figure } from './figures.ts';

const RUNS = 9;
const NODE_RUNS = 5;

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

const SCOPE = '10 vendors × 2 cards (Intel left out: its xpu-smi clashes with Kunlunxin\'s), fake CLIs on PATH, catalogue load included';

/** The real runner, timed: each distinct invocation from call to answer. */
function timedRunner(env: NodeJS.ProcessEnv, answers?: Map<string, ToolResult>): { run: ToolRunner; toolsMs: () => number } {
  const inner = createToolRunner({ env, timeoutMs: DEFAULT_TOOL_TIMEOUT_MS });
  const took = new Map<string, number>();
  const run: ToolRunner = (tool, args) => {
    const key = [tool, ...args].join(' ');
    const t0 = performance.now();
    return inner(tool, args).then((r) => {
      if (!took.has(key)) took.set(key, performance.now() - t0);
      answers?.set(key, r);
      return r;
    });
  };
  return { run, toolsMs: () => [...took.values()].reduce((a, b) => a + b, 0) };
}

export default async function bench(): Promise<Figure[]> {
  const host = await prepareSimulatedHost(ALL_VENDORS);
  const opts = { env: host.env, sysfsRoot: host.sysfsRoot };
  // The warm-up records the tools' answers, to replay them for detect.own_ms.
  const answers = new Map<string, ToolResult>();
  const warm = await detectAccelerators({ ...opts, catalog: await loadCatalog(), runner: timedRunner(host.env, answers).run });
  if (warm.accelerators.length !== 20 || warm.warnings.length) {
    throw new Error(`detect bench: expected 20 accelerators and no warnings, got ${warm.accelerators.length} and ${JSON.stringify(warm.warnings)}`);
  }
  const replay: ToolRunner = async (tool, args) => {
    const r = answers.get([tool, ...args].join(' '));
    if (!r) throw new Error(`detect bench: no recorded answer for ${tool} ${args.join(' ')}`);
    return r;
  };

  const wall: number[] = [];
  const tools: number[] = [];
  const own: number[] = [];
  const cpu: number[] = [];
  const ownCpu: number[] = [];
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  for (let i = 0; i < RUNS; i++) {
    const timed = timedRunner(host.env);
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    await detectAccelerators({ ...opts, runner: timed.run });
    wall.push(performance.now() - t0);
    cpu.push(cpuMs(c0));
    tools.push(timed.toolsMs());
    t0 = performance.now();
    c0 = process.cpuUsage();
    await detectAccelerators({ ...opts, runner: replay });
    own.push(performance.now() - t0);
    ownCpu.push(cpuMs(c0));
  }

  const floor: number[] = [];
  const trivial = ['/bin/true', '/usr/bin/true'].find((p) => existsSync(p));
  if (trivial) {
    for (let i = 0; i < RUNS; i++) {
      const run = createToolRunner({ env: host.env, timeoutMs: DEFAULT_TOOL_TIMEOUT_MS });
      const t0 = performance.now();
      await Promise.all([...answers.keys()].map((_, n) => run(trivial, [String(n)])));
      floor.push(performance.now() - t0);
    }
  }

  // Without the cache variable the fake tools' wrappers run node every time.
  const { BANYAN_HW_CACHE: _cache, ...nodeEnv } = host.env;
  const nodeWall: number[] = [];
  for (let i = 0; i < NODE_RUNS; i++) {
    const t0 = performance.now();
    await detectAccelerators({ ...opts, env: nodeEnv });
    nodeWall.push(performance.now() - t0);
  }

  const figures: Figure[] = [
    { name: 'detect.wall_ms', value: median(wall), unit: 'ms', note: `median of ${RUNS}; ${SCOPE}; each fake answers like a C tool (sh + cat of the answer rendered at set-up); target ≤300` },
    { name: 'detect.own_ms', value: median(own), unit: 'ms', note: `median of ${RUNS}; the same detection with the ${answers.size} tool answers replayed from memory: our code only` },
    { name: 'detect.own_cpu_ms', value: median(ownCpu), unit: 'ms', note: `median of ${RUNS}; CPU time (user + system) of detect.own_ms` },
    { name: 'detect.cpu_ms', value: median(cpu), unit: 'ms', note: `median of ${RUNS}; this process's CPU time in a real detection (spawning ${answers.size} tools included)` },
    { name: 'detect.tools_ms', value: median(tools), unit: 'ms', note: `median of ${RUNS}; sum over the ${answers.size} tool invocations of call-to-answer time (they overlap)` },
  ];
  if (floor.length) {
    figures.push({ name: 'detect.spawn_floor_ms', value: median(floor), unit: 'ms', note: `median of ${RUNS}; ${answers.size} ${trivial} processes through the same runner: process start-up on this machine now` });
  }
  figures.push({ name: 'detect.wall_ms.node_fakes', value: median(nodeWall), unit: 'ms', note: `median of ${NODE_RUNS}; as detect.wall_ms but every fake tool is a node process (node start-up in each)` });
  return figures;
}
