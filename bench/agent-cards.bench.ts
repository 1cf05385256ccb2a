// The bundled agent's footprint with 8 cards reporting per-card telemetry through the vendor
// tools (issue 13): dist/banyan-agent on a simulated box whose PATH holds the fake nvidia-smi
// (simulators/hardware), telemetry every 5 s, so each interval runs one real tool process; then
// the same agent with no vendor tool on PATH (no cards) in the same conditions, for the difference.
// The agent's own CPU (utime+stime) and its reaped children's (cutime+cstime: the tool runs)
// are read apart from /proc/<pid>/stat: the fake tools are node scripts, far heavier than the
// real nvidia-smi, so the children's share says little about a real box and is reported alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildAgentBundle } from '../deploy/bundle/agent-bundle.mjs';
import { startEmbeddedBroker } from '../orchestrator/broker.ts';
import { decode, encode } from '../protocol/codec.ts';
import { SCHEMA_VERSION } from '../protocol/messages.ts';
import { orchestratorStateTopic } from '../protocol/topics.ts';
import { prepareSimulatedHost } from '../simulators/hardware/host.ts';
import { median, type Figure } from './figures.ts';

const CARDS = 8;
const INTERVAL_MS = 5_000;
const WARMUP_MS = 20_000;
const WINDOW_MS = 30_000;
const CLK_TCK = 100; // USER_HZ on Linux
const SITE = 'bench';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** utime+stime (own) and cutime+cstime (reaped children), in ticks. */
function cpuTicks(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

export default async function agentCardsBench(): Promise<Figure[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'banyan-agent-cards-'));
  const children: ChildProcess[] = [];
  const broker = await startEmbeddedBroker({ port: 0 });
  const client = mqtt.connect(broker.url, { clientId: 'bench-cards-orchestrator' });
  try {
    const { launcher } = await buildAgentBundle({ outDir: join(scratch, 'dist') });
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: CARDS, utilPct: 73, memoryUsedMib: 40960, powerW: 512.5 } } }, join(scratch, 'hw'));
    const root = `bench-${randomUUID().slice(0, 8)}/banyan/v1`;
    const born = new Set<string>();
    const cardsPerReport = new Map<string, number[]>();
    const errors = new Set<string>();
    client.on('message', (_t, payload) => {
      const d = decode(payload);
      if (!d.ok) return;
      if (d.envelope.body === 'birth') born.add(d.envelope.nodeId);
      if (d.envelope.body === 'telemetry') {
        const list = cardsPerReport.get(d.envelope.nodeId) ?? [];
        list.push(d.envelope.telemetry.accelerators.filter((a) => a.powerW !== undefined).length);
        cardsPerReport.set(d.envelope.nodeId, list);
        for (const e of d.envelope.telemetry.acceleratorErrors) errors.add(e);
      }
    });
    if (!client.connected) await new Promise<void>((r) => client.once('connect', () => r()));
    await client.subscribeAsync(`${root}/#`, { qos: 1 });
    await client.publishAsync(
      orchestratorStateTopic(root),
      Buffer.from(encode({ schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: '_orchestrator', sessionId: 'bench', seq: 1, sentAtMs: Date.now(), body: 'state', state: { status: 'ONLINE' } })),
      { qos: 1, retain: true },
    );

    /** Runs the bundled agent as `node` with these PATH and scenario, warms it up, measures it, stops it. */
    const measure = async (node: string, env: NodeJS.ProcessEnv, cards: number) => {
      const config = join(scratch, `${node}.yaml`);
      writeFileSync(config, readFileSync('deploy/agent.yaml.template', 'utf8').replaceAll('@NODE_ID@', node).replaceAll('@SITE@', SITE).replaceAll('@BROKER_URL@', broker.url));
      const agent = spawn(launcher, ['agent', '--config', config, '--state-dir', join(scratch, `state-${node}`), '--bench-budget', '0', '--telemetry-interval', String(INTERVAL_MS)], {
        env: { ...process.env, ...env, BANYAN_TOPIC_ROOT: root, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(agent);
      const deadline = Date.now() + 30_000;
      while (!born.has(node) && Date.now() < deadline) await sleep(100);
      if (!born.has(node)) throw new Error(`the agent ${node} never announced itself; run dist/banyan-agent agent --help`);
      await sleep(WARMUP_MS);
      const pid = agent.pid!;
      const rss: number[] = [];
      const reportsBefore = cardsPerReport.get(node)?.length ?? 0;
      const t0 = performance.now();
      const c0 = cpuTicks(pid);
      while (performance.now() - t0 < WINDOW_MS) {
        await sleep(1000);
        rss.push(rssMb(pid));
      }
      const c1 = cpuTicks(pid);
      const seconds = (performance.now() - t0) / 1000;
      const pct = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
      const reports = (cardsPerReport.get(node) ?? []).slice(reportsBefore);
      if (reports.length === 0 || reports.some((n) => n !== cards)) {
        throw new Error(`telemetry did not carry ${cards} cards with power in every report (${reports.join(', ')}); errors: ${[...errors].join('; ') || 'none'}`);
      }
      agent.kill('SIGTERM');
      return { rss: median(rss), own: pct(c1.own - c0.own), children: pct(c1.children - c0.children), reports: reports.length };
    };

    // The fake tools first on PATH; the real node stays reachable for the launcher.
    // Side by side: CPU and RSS are read per process, and each agent takes well under 1 % of a core.
    const [withCards, without] = await Promise.all([
      measure('bench-agent-8-cards', { PATH: `${host.env.PATH}:${process.env.PATH ?? ''}`, BANYAN_HW_SCENARIO: host.scenarioPath }, CARDS),
      measure('bench-agent-0-cards', {}, 0),
    ]);
    const how = `dist/banyan-agent, ${CARDS} simulated H200 through the fake nvidia-smi (one call per ${INTERVAL_MS / 1000} s interval), ${withCards.reports} reports all with ${CARDS} cards; median of 1 s samples over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up, on a shared machine`;
    return [
      { name: 'agent.rss_mb.8_cards', value: round(withCards.rss), unit: 'MB', note: `${how}; the same agent with no cards beside it: ${round(without.rss)} MB; bar ≤ 50` },
      { name: 'agent.cpu_pct.8_cards', value: round(withCards.own, 2), unit: '% of a core', note: `the agent process only (utime+stime); ${how}; with no cards beside it: ${round(without.own, 2)} %; bar ≤ 1` },
      {
        name: 'agent.cpu_pct.8_cards.tools',
        value: round(withCards.children, 2),
        unit: '% of a core',
        note: 'the tool processes the agent ran and reaped (cutime+cstime): here the fake nvidia-smi, a node script (~40 MB, node start-up per call), not what the real nvidia-smi costs',
      },
    ];
  } finally {
    for (const c of children) {
      c.kill('SIGTERM');
      await Promise.race([new Promise((r) => c.once('exit', r)), sleep(5000)]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    await client.endAsync(true);
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
