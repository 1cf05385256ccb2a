// The agent's footprint, as systemd runs it: the bundled agent (dist/banyan-agent, built fresh
// from this checkout into a scratch dir) with a config written from deploy/agent.yaml.template,
// against an embedded broker, telemetry at 1/s, start-up
// benchmark off; with no workloads, beside the same agent after a start-up benchmark and one with
// node-os-utils as its host meter (hostMeter: node-os-utils, against the default /proc + statfs);
// then with 4 process workloads (`sleep`) it supervises. The host inventory child
// (dist/banyan-inventory.mjs, systeminformation) is timed on its own: the agents above ran it at
// start, and their steady state is measured after it has gone.
// For scale: the same agent from source through tsx (`banyan agent` in a checkout), and a bare
// node with the launcher's flags and an idle timer (the floor). RSS from /proc/<pid>/status
// (VmRSS, split into anonymous and file-backed), CPU from /proc/<pid>/stat over a window.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { AGENT_NODE_FLAGS, buildAgentBundle } from '../deploy/bundle/agent-bundle.mjs';
import { startEmbeddedBroker } from '../orchestrator/broker.ts';
import { decode, encode } from '../protocol/codec.ts';
import { SCHEMA_VERSION, type CommandAction } from '../protocol/messages.ts';
import { nodeTopic, orchestratorStateTopic } from '../protocol/topics.ts';
import { median, type Figure } from './figures.ts';

// The heap settles into its steady sawtooth within a minute (48.9-49.7 MB over 260 s, sampled by
// hand); figures taken at 5 s read ~1.5 MB low.
const WARMUP_MS = 30_000;
const WINDOW_MS = 30_000;
const BENCH_BUDGET_MS = 5_000;
/** bench/run.ts's limit: a 30 s warm-up and two 30 s windows, with a margin for a loaded machine. */
export const budgetMs = 240_000;
const CLK_TCK = 100; // USER_HZ on Linux
const SITE = 'bench';

interface Memory {
  rss: number;
  anon: number;
  file: number;
}

function memoryMb(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(status);
    if (!m) throw new Error(`no ${key} for pid ${pid}`);
    return Number(m[1]) / 1024;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

function cpuTicks(pid: number): number {
  // Fields after the ")" of comm: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Memory (median of 1 s samples) and CPU (% of one core) over the window. */
async function sample(pid: number): Promise<Memory & { cpu: number }> {
  const samples: Memory[] = [];
  const t0 = performance.now();
  const c0 = cpuTicks(pid);
  while (performance.now() - t0 < WINDOW_MS) {
    await sleep(1000);
    samples.push(memoryMb(pid));
  }
  const cpu = ((cpuTicks(pid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
  return { rss: median(samples.map((s) => s.rss)), anon: median(samples.map((s) => s.anon)), file: median(samples.map((s) => s.file)), cpu };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await Promise.race([exited(child), sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export default async function agentBench(): Promise<Figure[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'banyan-agent-bench-'));
  const { launcher } = await buildAgentBundle({ outDir: join(scratch, 'dist') });
  const broker = await startEmbeddedBroker({ port: 0 });
  const root = `bench-${randomUUID().slice(0, 8)}/banyan/v1`;
  const client = mqtt.connect(broker.url, { clientId: 'bench-orchestrator' });
  const born = new Set<string>();
  const workloadPids = new Set<number>();
  const children: ChildProcess[] = [];
  client.on('message', (_t, payload) => {
    const d = decode(payload);
    if (!d.ok) return;
    if (d.envelope.body === 'birth') born.add(d.envelope.nodeId);
    if (d.envelope.body === 'event' && d.envelope.event.kind === 'workload' && d.envelope.event.workload.pid > 0) workloadPids.add(d.envelope.event.workload.pid);
  });
  await new Promise<void>((r) => client.once('connect', () => r()));
  await client.subscribeAsync(`${root}/#`, { qos: 1 });
  let seq = 0;
  // Play the orchestrator's presence too: agents report only while it says ONLINE.
  await client.publishAsync(
    orchestratorStateTopic(root),
    Buffer.from(encode({ schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: '_orchestrator', sessionId: 'bench', seq: ++seq, sentAtMs: Date.now(), body: 'state', state: { status: 'ONLINE' } })),
    { qos: 1, retain: true },
  );
  const command = (node: string, action: CommandAction) =>
    client.publishAsync(
      nodeTopic(root, SITE, node, 'cmd'),
      Buffer.from(encode({ schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: 'orchestrator', sessionId: 'bench', seq: ++seq, sentAtMs: Date.now(), body: 'cmd', cmd: { correlationId: randomUUID(), ...action } })),
      { qos: 1 },
    );

  /**
   * Starts an agent (`command ...argv agent --config FILE ...`) as node `node`, its config written
   * from deploy/agent.yaml.template as install-agent.sh writes it, and waits for its birth.
   */
  const startAgent = async (node: string, command: string, argv: string[], benchBudgetMs = 0, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> => {
    const config = join(scratch, `${node}.yaml`);
    writeFileSync(config, readFileSync('deploy/agent.yaml.template', 'utf8').replaceAll('@NODE_ID@', node).replaceAll('@SITE@', SITE).replaceAll('@BROKER_URL@', broker.url));
    const stateDir = join(scratch, `state-${node}`);
    const child = spawn(command, [...argv, 'agent', '--config', config, '--state-dir', stateDir, '--bench-budget', String(benchBudgetMs), '--telemetry-interval', '1000'], {
      env: { ...process.env, BANYAN_TOPIC_ROOT: root, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const deadline = Date.now() + 30_000;
    while (!born.has(node) && Date.now() < deadline) await sleep(100);
    if (!born.has(node)) throw new Error(`the agent ${node} (${command}) never announced itself; run it with --help`);
    await sleep(WARMUP_MS);
    return child;
  };

  try {
    // The agents run side by side: each takes well under 1 % of a core, so neither's figures move
    // for the others (RSS and CPU are read per process), and the module takes two minutes, not five.
    const floorProc = spawn(process.execPath, [...AGENT_NODE_FLAGS, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(floorProc);
    // What a deployed agent holds after its start-up benchmark (the CPU GEMM forks its workers):
    // its benchmark runs within the others' warm-up, never in a window.
    const [bundled, osUtilsAgent, fromSource, benched] = await Promise.all([
      startAgent('bench-agent', launcher, []),
      startAgent('bench-agent-os-utils', launcher, [], 0, { BANYAN_HOST_METER: 'node-os-utils' }),
      startAgent('bench-agent-tsx', process.execPath, ['bin/banyan.js']),
      startAgent('bench-agent-benched', launcher, [], BENCH_BUDGET_MS),
    ]);
    const [idle, osUtils, tsx, afterBench, floor] = await Promise.all([sample(bundled.pid!), sample(osUtilsAgent.pid!), sample(fromSource.pid!), sample(benched.pid!), sample(floorProc.pid!)]);
    await Promise.all([osUtilsAgent, fromSource, benched].map(stopProcess));
    floorProc.kill('SIGKILL');

    for (let i = 0; i < 4; i++) {
      const spec = { name: `w${i}`, run: { runner: 'process', command: 'sleep', args: ['600'], restart: 'never' } };
      await command('bench-agent', { action: 'run', run: { workloadId: `w${i}`, specJson: JSON.stringify(spec), acceleratorIndexes: [] } });
    }
    const deadline = Date.now() + 30_000;
    while (workloadPids.size < 4 && Date.now() < deadline) await sleep(100);
    if (workloadPids.size < 4) throw new Error(`only ${workloadPids.size} of 4 workloads started`);
    await sleep(5_000);
    const busy = await sample(bundled.pid!);
    await stopProcess(bundled);

    // Alone: its figure is a wall time, which a neighbour would stretch.
    const inventory = await inventoryChild(join(scratch, 'dist', 'banyan-inventory.mjs'));

    const how = `dist/banyan-agent (bundled, node ${process.versions.node} ${AGENT_NODE_FLAGS.join(' ')}, YAML config), telemetry 1/s, benchmarks off; median of 1 s samples over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up, on a shared machine, the variants below side by side with it`;
    const split = (m: Memory) => `${round(m.anon)} MB anonymous + ${round(m.file)} MB file-backed (node's binary)`;
    return [
      { name: 'agent.rss_mb', value: round(idle.rss), unit: 'MB', note: `0 workloads; ${split(idle)}; ${how}; bar ≤ 50` },
      { name: 'agent.cpu_pct', value: round(idle.cpu, 2), unit: '% of a core', note: `0 workloads; ${how}; bar ≤ 1` },
      { name: 'agent.rss_mb.4_workloads', value: round(busy.rss), unit: 'MB', note: `4 supervised sleep processes; ${split(busy)}` },
      { name: 'agent.cpu_pct.4_workloads', value: round(busy.cpu, 2), unit: '% of a core', note: '4 supervised sleep processes' },
      { name: 'agent.rss_mb.after_bench', value: round(afterBench.rss), unit: 'MB', note: `0 workloads, after a ${BENCH_BUDGET_MS / 1000} s start-up benchmark (CPU GEMM in forked workers); ${split(afterBench)}` },
      { name: 'agent.rss_mb.node_floor', value: round(floor.rss), unit: 'MB', note: `bare node with the launcher's flags and an idle timer: the floor under agent.rss_mb; ${split(floor)}` },
      { name: 'agent.rss_mb.from_source', value: round(tsx.rss), unit: 'MB', note: `the same agent from source through tsx (node bin/banyan.js agent), 0 workloads; ${split(tsx)}` },
      { name: 'agent.cpu_pct.from_source', value: round(tsx.cpu, 2), unit: '% of a core', note: 'the same agent from source through tsx, with a JIT' },
      { name: 'agent.rss_mb.node_os_utils', value: round(osUtils.rss), unit: 'MB', note: `0 workloads, host telemetry from node-os-utils (hostMeter: node-os-utils, no cache) instead of /proc + statfs (agent.rss_mb); ${split(osUtils)}` },
      { name: 'agent.cpu_pct.node_os_utils', value: round(osUtils.cpu, 2), unit: '% of a core', note: 'as agent.rss_mb.node_os_utils, vs agent.cpu_pct with /proc + statfs' },
      { name: 'agent.inventory.child_ms', value: inventory.ms, unit: 'ms', note: `wall time of the host inventory child (node dist/banyan-inventory.mjs, systeminformation), start to exit; median of ${INVENTORY_RUNS}` },
      { name: 'agent.inventory.child_rss_mb', value: round(inventory.peakMb), unit: 'MB', note: `peak RSS (VmHWM, polled every 10 ms) of the inventory child; gone when it exits, so not in agent.rss_mb; max of ${INVENTORY_RUNS}` },
    ];
  } finally {
    for (const pid of workloadPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(children.map(stopProcess));
    await client.endAsync(true);
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const INVENTORY_RUNS = 3;

/** The inventory child run as the agent runs it (plain node): median wall time, highest peak RSS. */
async function inventoryChild(file: string): Promise<{ ms: number; peakMb: number }> {
  const times: number[] = [];
  let peakMb = 0;
  for (let i = 0; i < INVENTORY_RUNS; i++) {
    const t0 = performance.now();
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakMb = Math.max(peakMb, Number(m[1]) / 1024);
      } catch {
        // exited between polls
      }
    }, 10);
    const code = await done;
    clearInterval(poll);
    times.push(performance.now() - t0);
    if (code !== 0 || !out.includes('"source":"systeminformation@')) throw new Error(`the inventory child exited ${code} without an inventory: ${out.slice(0, 200)}`);
  }
  return { ms: Math.round(median(times)), peakMb };
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
