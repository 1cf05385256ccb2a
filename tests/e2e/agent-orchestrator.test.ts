// A real agent against the real orchestrator (embedded broker): workload commands and their
// events, adoption of a running workload across a SIGKILLed agent process (the bundled
// dist/banyan-agent, as systemd runs it), and bench + latency
// reports showing up in GET /v1/nodes/:id.
//
// Commands are published by a plain MQTT client playing the orchestrator, so these tests pin the
// agent's side of the protocol without depending on the orchestrator's workload dispatch.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Agent } from '../../agent/agent.ts';
import { NodeBenchSource } from '../../agent/bench-source.ts';
import { UdpProbeResponder } from '../../agent/probe/responder.ts';
import { commandBackend, cpuBackend } from '../../agent/bench/index.ts';
import { buildAgentBundle } from '../../deploy/bundle/agent-bundle.mjs';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { encode } from '../../protocol/codec.ts';
import type { CommandAction, Envelope, WorkloadStatus } from '../../protocol/messages.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { accelerator, envelope } from '../helpers/envelopes.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';
import { fixedAccelerators, tempDir, testAgent, testConfig } from '../agent/harness.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
let broker: EmbeddedBroker;
let orch: Orchestrator;
let commander: MqttClient;
const seen: Envelope[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  orch = await Orchestrator.start({ brokerUrl: broker.url, httpPort: 0, dataDir: null, log: quietLog, topicRoot: root, sweepMs: 200 });
  orch.events.on('accepted', (env) => seen.push(env));
  commander = mqtt.connect(broker.url, { clientId: `commander-${randomUUID().slice(0, 8)}` });
  await new Promise<void>((r) => commander.once('connect', () => r()));
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await commander?.endAsync(true);
  await orch?.stop();
  await broker?.close();
});

/** Sends a command as the orchestrator would; returns its correlation id. */
async function command(nodeId: string, action: CommandAction): Promise<string> {
  const correlationId = randomUUID();
  const env = envelope({ body: 'cmd', cmd: { correlationId, ...action } }, { nodeId: 'orchestrator', sessionId: 'commander' });
  await commander.publishAsync(nodeTopic(root, 'test-site', nodeId, 'cmd'), Buffer.from(encode(env)), { qos: 1 });
  return correlationId;
}

function workloadEvents(nodeId: string, workloadId: string): WorkloadStatus[] {
  return seen.flatMap((e) =>
    e.nodeId === nodeId && e.body === 'event' && e.event.kind === 'workload' && e.event.workload.workloadId === workloadId ? [e.event.workload] : [],
  );
}

async function online(nodeId: string): Promise<void> {
  await waitFor(`${nodeId} online`, () => orch.registry.get(nodeId)?.status === 'online', 20_000);
}

function runCmd(workloadId: string, run: Record<string, unknown>, acceleratorIndexes: number[] = []) {
  return { action: 'run' as const, run: { workloadId, specJson: JSON.stringify({ name: workloadId, tenant: 't', class: 'batch', run }), acceleratorIndexes } };
}

describe('workload commands', () => {
  let agent: Agent;
  const state = tempDir('banyan-agent-cmd-');

  beforeAll(async () => {
    agent = testAgent(testConfig({ nodeId: 'cmd-1', brokerUrl: broker.url, topicRoot: root, stateDir: state.dir }));
    cleanups.push(async () => {
      await agent.stop();
      state.remove();
    });
    await agent.start();
    await online('cmd-1');
  });

  it('restarts a failing process on-failure and reports each attempt', async () => {
    const cid = await command('cmd-1', runCmd('fails', { runner: 'process', command: 'sh', args: ['-c', 'exit 1'], restart: 'on-failure' }));
    const events = await waitFor('two restarts', () => {
      const ev = workloadEvents('cmd-1', 'fails');
      return ev.filter((w) => w.state === 'restarting').length >= 2 && ev;
    }, 15_000);
    expect(events[0]).toMatchObject({ state: 'accepted', attempt: 1 });
    const restarts = events.filter((w) => w.state === 'restarting');
    expect(restarts.map((w) => w.attempt).slice(0, 2)).toEqual([1, 2]);
    expect(restarts[0]!.exitCode).toBe(1);
    expect(restarts[0]!.message).toMatch(/exited with code 1; attempt 2 starts in/);
    expect(seen.some((e) => e.body === 'event' && e.event.correlationId === cid && e.event.kind === 'workload')).toBe(true);

    await command('cmd-1', { action: 'stop', stop: { workloadId: 'fails', graceMs: 500 } });
    await waitFor('stopped', () => workloadEvents('cmd-1', 'fails').some((w) => w.state === 'stopped'));
  });

  it('answers an invalid spec with a failed event and an unknown stop with an error ack', async () => {
    await command('cmd-1', runCmd('bad', { runner: 'process', command: 'true', restart: 'sometimes' }));
    const failed = await waitFor('failed event', () => workloadEvents('cmd-1', 'bad').find((w) => w.state === 'failed'));
    expect(failed.message).toMatch(/restart\.mode must be one of/);
    const cid = await command('cmd-1', { action: 'stop', stop: { workloadId: 'nope', graceMs: 0 } });
    const ack = await waitFor('ack', () => seen.find((e) => e.body === 'event' && e.event.correlationId === cid));
    expect(ack.body === 'event' && ack.event.kind === 'ack' && ack.event.ack).toMatchObject({ ok: false, error: 'no workload "nope" runs on this node' });
  });
});

describe('agent process killed with SIGKILL', () => {
  const state = tempDir('banyan-agent-kill-');
  const children: ChildProcess[] = [];
  let sleeperPid = 0;

  // The agent as systemd runs it: the bundled dist/banyan-agent, built fresh from this checkout.
  let launcher = '';
  beforeAll(async () => {
    ({ launcher } = await buildAgentBundle({ outDir: join(state.dir, 'dist') }));
  }, 60_000);

  function startAgentProcess(): ChildProcess {
    const child = spawn(
      launcher,
      ['agent', '--node-id', 'kill-1', '--site', 'test-site', '--broker', broker.url, '--state-dir', join(state.dir, 'state'), '--bench-budget', '0', '--telemetry-interval', '1000'],
      { env: { ...process.env, BANYAN_TOPIC_ROOT: root, LOG_LEVEL: 'warn', PATH: `/nonexistent:${process.env.PATH}` }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    return child;
  }

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (sleeperPid > 0) {
      try {
        process.kill(-sleeperPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    state.remove();
  });

  it('adopts the running workload (same pid) and lists it in the new birth', async () => {
    const first = startAgentProcess();
    await online('kill-1');
    const firstSession = orch.registry.get('kill-1')!.sessionId;
    await command('kill-1', runCmd('sleeper', { runner: 'process', command: 'sleep', args: ['60'], restart: 'on-failure' }));
    const running = await waitFor('sleeper running', () => workloadEvents('kill-1', 'sleeper').find((w) => w.state === 'running' && w.pid > 0), 15_000);
    sleeperPid = running.pid;

    first.kill('SIGKILL');
    await new Promise<void>((r) => first.once('exit', () => r()));
    expect(() => process.kill(sleeperPid, 0)).not.toThrow(); // the workload outlived its agent

    startAgentProcess();
    const rebirth = await waitFor(
      'birth of the new session',
      () => seen.find((e) => e.nodeId === 'kill-1' && e.body === 'birth' && e.sessionId !== firstSession),
      20_000,
    );
    expect(rebirth.body === 'birth' && rebirth.birth.runningWorkloads).toEqual(['sleeper']);
    const adopted = await waitFor('adopted event', () =>
      seen.find((e) => e.sessionId !== firstSession && e.body === 'event' && e.event.kind === 'workload' && e.event.workload.workloadId === 'sleeper'),
    );
    expect(adopted.body === 'event' && adopted.event.kind === 'workload' && adopted.event.workload).toMatchObject({
      state: 'running',
      pid: sleeperPid,
      message: 'adopted after agent restart',
    });
    // Not started twice: no new accepted/running with another pid.
    const pids = new Set(workloadEvents('kill-1', 'sleeper').filter((w) => w.pid > 0).map((w) => w.pid));
    expect([...pids]).toEqual([sleeperPid]);
  }, 60_000);
});

describe('bench and latency reports', () => {
  const state = tempDir('banyan-agent-report-');
  let agent: Agent;
  let landmark: Server;
  let other: Server;

  const listen = async (): Promise<Server> => {
    const s = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return s;
  };
  const portOf = (s: Server) => (s.address() as { port: number }).port;

  beforeAll(async () => {
    landmark = await listen();
    other = await listen();
    const result = JSON.stringify({ precision: 'bf16', tflops: 640.5, latency_p50_ms: 0.3, latency_p99_ms: 0.5, shape: '8192x8192x8192' });
    const bench = new NodeBenchSource({
      budgetMs: 4000,
      cachePath: `${state.dir}/bench-results.json`,
      backends: [commandBackend({ argv: ['sh', '-c', `echo '${result}'`] }), cpuBackend({ kernel: 'js', n: 96, latencyN: 32, rounds: 2, workers: 1 })],
    });
    const config = testConfig({
      nodeId: 'report-1',
      brokerUrl: broker.url,
      topicRoot: root,
      stateDir: state.dir,
      benchBudgetMs: 4000,
      probeIntervalMs: 60_000,
      probeCount: 3,
      landmarks: [{ name: 'lm-local', host: '127.0.0.1', port: portOf(landmark) }],
    });
    agent = testAgent(config, { bench, accelerators: fixedAccelerators([accelerator({ index: 0 })]) });
    cleanups.push(async () => {
      await agent.stop();
      landmark.close();
      other.close();
      state.remove();
    });
    await agent.start();
    await online('report-1');
  });

  it('shows measured next to nominal, with basis, and the RTT targets', async () => {
    const node = await waitFor('bench and latency in the API', async () => {
      const r = await fetch(`${orch.httpUrl}/v1/nodes/report-1`);
      const n = (await r.json()) as {
        accelerators: { nominal: { tflops: number; basis: string }; measured: { tflops: number; basis: string; kind: string; backend: string } | null }[];
        cpuMeasured: { tflops: number; basis: string; weak: boolean } | null;
        latency: { targets: { target: string; targetKind: string; received: number; sent: number }[] } | null;
      };
      return n.accelerators[0]?.measured && n.cpuMeasured && n.latency && n;
    }, 20_000);
    expect(node.accelerators[0]!.nominal).toMatchObject({ tflops: 280, basis: 'fp16' });
    expect(node.accelerators[0]!.measured).toMatchObject({ tflops: 640.5, basis: 'bf16', kind: 'measured', backend: 'command' });
    expect(node.cpuMeasured).toMatchObject({ basis: 'fp32x2', weak: true });
    expect(node.cpuMeasured!.tflops).toBeGreaterThan(0);
    const byName = new Map(node.latency!.targets.map((t) => [t.target, t]));
    expect(byName.get('lm-local')).toMatchObject({ targetKind: 'landmark', sent: 3, received: 3 });
    expect(byName.get('orchestrator')).toMatchObject({ targetKind: 'orchestrator', sent: 3, received: 3 });
  }, 30_000);

  it('probes on cmd probe: landmarks by TCP connect, peers at their responder, reported by node id', async () => {
    const target = `127.0.0.1:${portOf(other)}`;
    const responder = new UdpProbeResponder({ nodeId: 'peer-x', bindHost: '127.0.0.1', port: 0, advertise: '' });
    const address = await responder.start();
    try {
      const cid = await command('report-1', { action: 'probe', probe: { targets: [target], count: 2, peers: [{ nodeId: 'peer-x', address }] } });
      await waitFor('probe ack', () => seen.some((e) => e.body === 'event' && e.event.correlationId === cid));
      const lat = await waitFor('landmark and peer latency', () => {
        const targets = orch.registry.get('report-1')?.latency?.targets ?? [];
        const byName = new Map(targets.map((t) => [t.target, t]));
        return byName.has(target) && byName.has('peer-x') && byName;
      });
      expect(lat.get(target)).toMatchObject({ targetKind: 'landmark', sent: 2, received: 2 });
      expect(lat.get('peer-x')).toMatchObject({ targetKind: 'peer', sent: 2, received: 2 });
      expect(responder.stats.answered).toBe(2);
    } finally {
      await responder.close();
    }
  });

  it('answers a probe command with a malformed peer address by an error ack naming it', async () => {
    const cid = await command('report-1', { action: 'probe', probe: { targets: [], count: 1, peers: [{ nodeId: 'peer-x', address: 'peer-x' }] } });
    const ack = await waitFor('ack', () => seen.find((e) => e.body === 'event' && e.event.correlationId === cid));
    expect(ack.body === 'event' && ack.event.kind === 'ack' && ack.event.ack).toMatchObject({ ok: false, error: expect.stringContaining('"peer-x" is not host:port') });
  });
});
