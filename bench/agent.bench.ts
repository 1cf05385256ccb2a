// The agent's footprint: a real `banyan agent` process (node + tsx, as systemd runs it) against
// an embedded broker, reporting telemetry at 1/s with benchmarks off, first with no workloads,
// then with 4 process workloads (`sleep`) it supervises. RSS from /proc/<pid>/status (VmRSS),
// CPU from /proc/<pid>/stat (utime + stime) over a window after a warm-up. For scale, the same
// figures for a bare `node` with the tsx loader registered and an idle timer.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../orchestrator/broker.ts';
import { decode, encode } from '../protocol/codec.ts';
import { SCHEMA_VERSION, type CommandAction } from '../protocol/messages.ts';
import { nodeTopic, orchestratorStateTopic } from '../protocol/topics.ts';
import { median, type Figure } from './figures.ts';

const WARMUP_MS = 5_000;
const WINDOW_MS = 20_000;
const CLK_TCK = 100; // USER_HZ on Linux
const NODE = 'bench-agent';
const SITE = 'bench';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

function cpuTicks(pid: number): number {
  // Fields after the ")" of comm: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS (median of 1 s samples) and CPU (% of one core) over the window. */
async function sample(pid: number): Promise<{ rss: number; cpu: number }> {
  const rss: number[] = [];
  const t0 = performance.now();
  const c0 = cpuTicks(pid);
  while (performance.now() - t0 < WINDOW_MS) {
    await sleep(1000);
    rss.push(rssMb(pid));
  }
  const cpu = ((cpuTicks(pid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
  return { rss: median(rss), cpu };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export default async function agentBench(): Promise<Figure[]> {
  const broker = await startEmbeddedBroker({ port: 0 });
  const root = `bench-${randomUUID().slice(0, 8)}/banyan/v1`;
  const stateDir = mkdtempSync(join(tmpdir(), 'banyan-agent-bench-'));
  const client = mqtt.connect(broker.url, { clientId: 'bench-orchestrator' });
  const workloadPids = new Set<number>();
  let births = 0;
  client.on('message', (_t, payload) => {
    const d = decode(payload);
    if (!d.ok) return;
    if (d.envelope.body === 'birth') births++;
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
  const command = (action: CommandAction) =>
    client.publishAsync(
      nodeTopic(root, SITE, NODE, 'cmd'),
      Buffer.from(encode({ schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: 'orchestrator', sessionId: 'bench', seq: ++seq, sentAtMs: Date.now(), body: 'cmd', cmd: { correlationId: randomUUID(), ...action } })),
      { qos: 1 },
    );

  const agent = spawn(
    process.execPath,
    ['bin/banyan.js', 'agent', '--node-id', NODE, '--site', SITE, '--broker', broker.url, '--state-dir', stateDir, '--bench-budget', '0', '--telemetry-interval', '1000'],
    { env: { ...process.env, BANYAN_TOPIC_ROOT: root, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const baseline = spawn(process.execPath, ['--import', 'tsx/esm', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 30_000;
    while (births === 0 && Date.now() < deadline) await sleep(100);
    if (births === 0) throw new Error('the agent process never announced itself; run `node bin/banyan.js agent --help`');
    await sleep(WARMUP_MS);
    const idle = await sample(agent.pid!);
    const base = await sample(baseline.pid!);

    for (let i = 0; i < 4; i++) {
      const spec = { name: `w${i}`, run: { runner: 'process', command: 'sleep', args: ['600'], restart: 'never' } };
      await command({ action: 'run', run: { workloadId: `w${i}`, specJson: JSON.stringify(spec), acceleratorIndexes: [] } });
    }
    while (workloadPids.size < 4 && Date.now() < deadline + 30_000) await sleep(100);
    if (workloadPids.size < 4) throw new Error(`only ${workloadPids.size} of 4 workloads started`);
    await sleep(WARMUP_MS / 2);
    const busy = await sample(agent.pid!);

    const how = `real banyan agent process (node ${process.versions.node} + tsx), telemetry 1/s, benchmarks off; median RSS of 1 s samples, CPU over ${WINDOW_MS / 1000} s after warm-up, on a shared machine`;
    return [
      { name: 'agent.rss_mb', value: round(idle.rss), unit: 'MB', note: `0 workloads; ${how}; bar ≤ 50` },
      { name: 'agent.cpu_pct', value: round(idle.cpu, 2), unit: '% of a core', note: `0 workloads; ${how}; bar ≤ 1` },
      { name: 'agent.rss_mb.4_workloads', value: round(busy.rss), unit: 'MB', note: `4 supervised sleep processes; ${how}` },
      { name: 'agent.cpu_pct.4_workloads', value: round(busy.cpu, 2), unit: '% of a core', note: `4 supervised sleep processes; ${how}` },
      { name: 'agent.rss_mb.node_tsx_baseline', value: round(base.rss), unit: 'MB', note: 'bare node with the tsx loader and an idle timer: the floor under agent.rss_mb' },
    ];
  } finally {
    for (const pid of workloadPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    agent.kill('SIGTERM');
    baseline.kill('SIGKILL');
    await Promise.race([exited(agent), sleep(5000)]);
    if (agent.exitCode === null) agent.kill('SIGKILL');
    await client.endAsync(true);
    await broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
