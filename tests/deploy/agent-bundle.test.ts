// dist/banyan-agent, the agent as systemd and the container run it: built from this checkout
// into a scratch dir, then driven as a site engineer would (help, detect, bench, the agent
// itself from a YAML config against a broker over mqtt://, mqtts:// and ws://, stop), checking
// that it runs with its lean flags and finds the assets it reads from the source tree.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_MALLOC_ENV, AGENT_NODE_FLAGS, buildAgentBundle } from '../../deploy/bundle/agent-bundle.mjs';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { addAccount, brokerPaths, initBrokerConfig } from '../../orchestrator/creds/broker-files.ts';
import { decode, encode } from '../../protocol/codec.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { prepareSimulatedHost } from '../../simulators/hardware/host.ts';
import { Collector } from '../agent/harness.ts';
import { envelope } from '../helpers/envelopes.ts';
import { freePort, makeTestPki, startMosquitto, type PrivateMosquitto } from '../security/fixtures.ts';
import { waitFor } from '../helpers/wait.ts';

const work = mkdtempSync(join(tmpdir(), 'banyan-bundle-'));
let launcher = '';
beforeAll(async () => {
  ({ launcher } = await buildAgentBundle({ outDir: join(work, 'dist') }));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 30_000) {
  const r = spawnSync(launcher, args, { encoding: 'utf8', env, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `banyan-agent agent ...args` with its stderr kept; whatever a test leaves running dies after it. */
const agents: ChildProcess[] = [];
afterAll(() => {
  for (const a of agents) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
});
function startAgent(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(launcher, ['agent', ...args], { env: { ...process.env, LOG_LEVEL: 'warn', BANYAN_PROBE_BIND_HOST: '127.0.0.1', BANYAN_PROBE_PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  agents.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    child,
    stderr: () => stderr,
    /** waitFor, with what the agent printed in the error when it times out. */
    until: <T>(what: string, fn: () => T | undefined | null | false, timeoutMs?: number) =>
      waitFor(what, fn, timeoutMs).catch((e: Error) => {
        throw new Error(`${e.message}; agent stderr: ${stderr}`);
      }),
    /** SIGTERM, then its exit code. */
    stop: (): Promise<number | null> => {
      const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      return exit;
    },
  };
}

describe('dist/banyan-agent', () => {
  it('lists its commands, and says what to do when node cannot be found', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/agent\s+run the agent for this machine/);
    expect(r.stdout).toMatch(/detect\s+/);
    expect(r.stdout).toMatch(/bench\s+/);
    expect(run(['orchestrator']).code).toBe(2); // the orchestrator is not in the edge bundle
    const missing = run(['--help'], { PATH: '/nonexistent' });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('install Node.js 20 or newer, or set BANYAN_NODE');
  });

  it('detects a simulated mixed box with catalogue figures (assets found from the bundle)', async () => {
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 2 }, huawei: { count: 4 }, cambricon: { count: 2 } } });
    const r = run(['detect', '--sysfs', host.sysfsRoot, '--json'], host.env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { accelerators: unknown[]; totals: { tflops: number; unknownCount: number } };
    expect(doc.accelerators).toHaveLength(8);
    expect(doc.totals).toMatchObject({ tflops: 3099, unknownCount: 2 });
  });

  it('carries neither systeminformation nor node-os-utils in its own file: each is bundled beside it', () => {
    const dist = join(work, 'dist');
    const file = (name: string) => readFileSync(join(dist, name), 'utf8');
    // Strings from inside each library (its Linux code), not names our own help text uses.
    const SI_MARKER = 'dmidecode -t system';
    const OS_UTILS_MARKER = 'PLATFORM_NOT_SUPPORTED';
    expect(file('banyan-agent.mjs')).not.toContain(SI_MARKER);
    expect(file('banyan-agent.mjs')).not.toContain(OS_UTILS_MARKER);
    expect(file('banyan-inventory.mjs')).toContain(SI_MARKER);
    expect(file('banyan-os-utils.mjs')).toContain(OS_UTILS_MARKER);
  });

  it('prints the host inventory (detect --host --json) from the bundle, with no node_modules in reach', () => {
    // The scratch dir sits in the temp dir, so no node_modules is found above dist/.
    expect(existsSync(join(work, 'node_modules'))).toBe(false);
    const r = run(['detect', '--host', '--json'], process.env, 90_000);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(inv).sort()).toEqual(
      ['collectedAtMs', 'cpuMaxMhz', 'cpuModel', 'cpuPhysicalCores', 'cpuThreads', 'disks', 'kernel', 'memoryMib', 'nics', 'os', 'source', 'systemModel', 'systemSerial', 'systemVendor', 'virtualization'].sort(),
    );
    expect(inv.source).toMatch(/^systeminformation@5\./);
    expect(inv.cpuThreads).toBeGreaterThan(0);
    expect(inv.memoryMib).toBeGreaterThan(0);
    expect(Array.isArray(inv.disks) && Array.isArray(inv.nics)).toBe(true);
    const table = run(['detect', '--host'], process.env, 90_000);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^cpu\s+.+ cores \/ \d+ threads/m);
    expect(table.stdout).toMatch(/^Source: systeminformation@5\./m);
  }, 120_000);

  it("measures the CPU with numpy's BLAS where the box has it, else its forked GEMM workers, and says which", () => {
    const r = run(['bench', '--backend', 'cpu', '--budget', '2', '--no-cache', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { results: { target: string; rawTflops: number; shape: string; versions: Record<string, string> }[] };
    const cpu = doc.results.find((x) => x.target === 'cpu');
    expect(cpu?.rawTflops).toBeGreaterThan(0);
    // That the JS workers escape --jitless is checked by their command lines in cpu-backend.test.ts.
    if (cpu?.versions.kernel?.startsWith('numpy')) expect(cpu.shape).toMatch(/fp32 on \d+ BLAS threads/);
    else {
      expect(cpu?.versions.kernel).toBe('js-scalar');
      expect(cpu?.shape).toMatch(/fp32 x\d+ processes/);
    }
  });
});

describe('dist/banyan-agent agent', () => {
  let broker: EmbeddedBroker;
  let collector: Collector;
  let workloadPid = 0;
  const root = `bundle-${Date.now()}/banyan/v1`;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    collector = new Collector(broker.url, root);
    await collector.ready();
  });
  afterAll(async () => {
    if (workloadPid > 0) {
      try {
        process.kill(-workloadPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await collector.close();
    await broker.close();
  });

  it('runs from a YAML config with its lean node flags, runs a workload, and stops cleanly on SIGTERM', async () => {
    const template = readFileSync(join(import.meta.dirname, '../../deploy/agent.yaml.template'), 'utf8');
    const config = join(work, 'agent.yaml');
    writeFileSync(
      config,
      template
        .replaceAll('@NODE_ID@', 'bundle-1')
        .replaceAll('@SITE@', 'test-site')
        .replaceAll('@BROKER_URL@', broker.url)
        .replace(/^stateDir: .*$/m, `stateDir: ${join(work, 'state')}`)
        .replace(/^telemetryIntervalMs: .*$/m, 'telemetryIntervalMs: 500'),
    );
    // A loaded test machine gives the inventory child time; past the first birth's grace it comes
    // in a new birth.
    const agent = startAgent(['--config', config, '--bench-budget', '0'], { BANYAN_TOPIC_ROOT: root, BANYAN_INVENTORY_TIMEOUT_MS: '60000' });
    await agent.until('birth', () => collector.of('birth').find((e) => e.nodeId === 'bundle-1'), 20_000);
    const birth = await agent.until('birth with the inventory', () => collector.of('birth').find((e) => e.nodeId === 'bundle-1' && e.birth.host.inventory), 60_000);
    // Taken by dist/banyan-inventory.mjs, found beside the bundle.
    expect(birth.birth.host.inventory?.source).toMatch(/^systeminformation@5\./);
    expect(birth.birth.host.inventory?.cpuThreads).toBeGreaterThan(0);
    const telemetry = await waitFor('telemetry with network rates', () => collector.of('telemetry').find((e) => e.nodeId === 'bundle-1' && e.telemetry.netRxBytesPerS !== undefined), 10_000);
    expect(telemetry.telemetry.diskTotalMib).toBeGreaterThan(0);
    expect(telemetry.telemetry.netTxBytesPerS).toBeGreaterThanOrEqual(0);
    // The process is node itself (the launcher execs), with the flags the bundle is built for.
    const cmdline = readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline.slice(1, 1 + AGENT_NODE_FLAGS.length)).toEqual([...AGENT_NODE_FLAGS]);
    expect(cmdline[1 + AGENT_NODE_FLAGS.length]).toMatch(/banyan-agent\.mjs$/);


    const spec = { name: 'sleeper', run: { runner: 'process', command: 'sleep', args: ['60'], restart: 'never' } };
    const cmd = envelope({ body: 'cmd', cmd: { correlationId: 'c-1', action: 'run', run: { workloadId: 'sleeper', specJson: JSON.stringify(spec), acceleratorIndexes: [] } } }, { nodeId: '_orchestrator' });
    await collector.client.publishAsync(nodeTopic(root, 'test-site', 'bundle-1', 'cmd'), Buffer.from(encode(cmd)), { qos: 1 });
    const running = await waitFor('workload running', () =>
      collector.of('event').find((e) => e.event.kind === 'workload' && e.event.workload.workloadId === 'sleeper' && e.event.workload.state === 'running'),
    );
    workloadPid = running.event.kind === 'workload' ? running.event.workload.pid : 0;
    expect(workloadPid).toBeGreaterThan(0);
    // The allocator settings are the agent's own; the workload it started does not inherit them.
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(AGENT_MALLOC_ENV)) expect(environ(agent.child.pid!)).toContain(`${k}=${v}`);
    expect(environ(workloadPid).filter((e) => /^(MALLOC_|BANYAN_AGENT_ONLY_ENV=)/.test(e))).toEqual([]);

    const code = await agent.stop();
    expect(code, agent.stderr()).toBe(0);
    await waitFor('OFFLINE state', () => collector.of('state').find((e) => e.nodeId === 'bundle-1' && e.state.status === 'OFFLINE'), 5000);
    expect(agent.stderr()).not.toMatch(/Warning|Error/);
  }, 120_000);

  it('loads node-os-utils from beside the bundle when hostMeter says so', async () => {
    const agent = startAgent(['--node-id', 'bundle-osu', '--site', 'test-site', '--broker', broker.url, '--state-dir', join(work, 'state-osu'), '--bench-budget', '0', '--telemetry-interval', '500'], {
      BANYAN_TOPIC_ROOT: root,
      BANYAN_HOST_METER: 'node-os-utils',
      BANYAN_INVENTORY_TIMEOUT_MS: '0',
    });
    const t = await agent.until('telemetry from node-os-utils with rates', () => collector.of('telemetry').find((e) => e.nodeId === 'bundle-osu' && e.telemetry.netRxBytesPerS !== undefined), 30_000);
    expect(t.telemetry.diskTotalMib).toBeGreaterThan(0);
    expect(collector.of('birth').find((e) => e.nodeId === 'bundle-osu')?.birth.host.inventory).toBeUndefined(); // inventoryTimeoutMs 0: off
    expect(await agent.stop()).toBe(0);
    expect(agent.stderr()).not.toMatch(/Warning|Error/);
  }, 60_000);
});

describe('dist/banyan-agent over TLS', () => {
  let broker: PrivateMosquitto | undefined;
  afterAll(async () => {
    await broker?.stop();
  });

  // mqtt.js's TLS transport is one of the modules the bundle loads on first use (LAZY in
  // deploy/bundle/agent-bundle.mjs): this is the production path, a private Mosquitto set up
  // by `banyan creds` with a throwaway CA, the node's password file and the CA file.
  it('announces itself through a TLS Mosquitto with its own account', async () => {
    const dir = join(work, 'tls');
    mkdirSync(dir, { recursive: true });
    const pki = makeTestPki(dir);
    const port = await freePort();
    const brokerDir = join(dir, 'broker');
    initBrokerConfig({ dir: brokerDir, topicRoot: 'banyan/v1', port, bindAddress: '127.0.0.1', tls: { cafile: pki.caCert, certfile: pki.serverCert, keyfile: pki.serverKey } });
    addAccount(brokerDir, 'bundle-tls');
    broker = await startMosquitto(brokerPaths(brokerDir).conf, port);
    const url = `mqtts://localhost:${port}`;
    const orch = await mqtt.connectAsync(url, {
      username: 'banyan-orchestrator',
      password: readFileSync(brokerPaths(brokerDir).secretOf('banyan-orchestrator'), 'utf8').trim(),
      ca: readFileSync(pki.caCert),
      reconnectPeriod: 0,
    });
    const births: string[] = [];
    orch.on('message', (_t, payload) => {
      const d = decode(payload);
      if (d.ok && d.envelope.body === 'birth') births.push(d.envelope.nodeId);
    });
    await orch.subscribeAsync('banyan/v1/+/+/birth', { qos: 1 });
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [`nodeId: bundle-tls`, `site: test-site`, `brokerUrl: ${url}`, `username: bundle-tls`, `passwordFile: ${brokerPaths(brokerDir).secretOf('bundle-tls')}`, `caFile: ${pki.caCert}`, `stateDir: ${join(dir, 'state')}`, 'benchBudgetMs: 0', ''].join('\n'),
    );
    const agent = startAgent(['--config', config], {});
    await agent.until('birth over TLS', () => births.includes('bundle-tls'), 20_000);
    expect(await agent.stop()).toBe(0);
    await orch.endAsync();
  }, 60_000);
});

describe('dist/banyan-agent over WebSockets', () => {
  // ws:// goes through the same lazy stub as TLS, and pulls in the ws package and node's http.
  // An embedded aedes broker takes WebSocket connections here through ws itself (mqtt.js's own
  // dependency, so no new package).
  it('announces itself through a ws:// broker', async () => {
    type Ws = { WebSocketServer: new (o: { host: string; port: number }) => WsServer; createWebSocketStream: (socket: unknown) => Duplex };
    type WsServer = { on(e: 'connection', f: (socket: unknown) => void): void; once(e: 'listening', f: () => void): void; address(): { port: number }; close(f: () => void): void };
    const { WebSocketServer, createWebSocketStream } = createRequire(import.meta.url)('ws') as Ws;
    const broker = await startEmbeddedBroker({ port: 0 });
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket) => broker.aedes.handle(createWebSocketStream(socket)));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const root = `bundle-ws-${Date.now()}/banyan/v1`;
    const collector = new Collector(broker.url, root);
    await collector.ready();
    const agent = startAgent(['--node-id', 'bundle-ws', '--site', 'test-site', '--broker', `ws://127.0.0.1:${wss.address().port}`, '--state-dir', join(work, 'state-ws'), '--bench-budget', '0'], { BANYAN_TOPIC_ROOT: root });
    try {
      await agent.until('birth over ws://', () => collector.of('birth').find((e) => e.nodeId === 'bundle-ws'), 20_000);
      expect(await agent.stop()).toBe(0);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await collector.close();
      await new Promise<void>((r) => wss.close(() => r()));
      await broker.close();
    }
  }, 60_000);
});
