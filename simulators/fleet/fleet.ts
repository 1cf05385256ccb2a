// A simulated fleet: many instances of the real Agent, each with simulated host and accelerator
// facts, benchmarks derived from the catalogue, RTTs from the network model and simulated
// workloads, on real MQTT connections to whichever broker it is given.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Agent } from '../../agent/agent.ts';
import { validateAgentConfig, defaultAgentConfig, type AgentConfig } from '../../agent/config.ts';
import { SimulatedRunner } from '../../agent/exec/simulated-runner.ts';
import { systemClock, type Clock } from '../../agent/exec/types.ts';
import type { AcceleratorSource } from '../../agent/hardware.ts';
import { NetworkModel, netPointAt, type NetPoint } from './network.ts';
import { generateNodes, type Scenario, type SimNodeSpec } from './scenario.ts';
import { SimBenchSource } from './sim-bench.ts';
import { SimHostSource } from './sim-host.ts';
import { SimProbeSource, simProbeResponder } from './sim-probe.ts';
import type { LinkFactory } from './transport.ts';

export interface FleetOptions {
  brokerUrl: string;
  topicRoot: string;
  scenario: Scenario;
  /** How a simulated node learns its accelerators. */
  accelerators: (spec: SimNodeSpec) => AcceleratorSource;
  nodes?: number;
  log?: Logger;
  /** Agents started at once; the rest wait, so a big fleet does not stampede the broker. */
  concurrency?: number;
  /** Prepended to node ids, so fleets sharing one broker never share an MQTT client id. */
  nodePrefix?: string;
  /** Each node keeps its outbox and workload state in <stateRoot>/<node id>; default .banyan/sim. */
  stateRoot?: string;
  /** Timers of the simulated workloads. */
  clock?: Clock;
  /** Shared by every node, so injected partitions show in their RTTs; default seeded by the scenario. */
  network?: NetworkModel;
  /** Agent settings every node gets (probe interval, bench budget 0 to switch benchmarks off, …). */
  agentConfig?: Partial<Pick<AgentConfig, 'probeIntervalMs' | 'probeCount' | 'benchBudgetMs' | 'outboxMaxBytes' | 'reconnectMinMs' | 'reconnectMaxMs'>>;
  /** Each node's broker connection (in-process, chaos-wrapped, …); default a real MQTT connection. */
  link?: (spec: SimNodeSpec) => LinkFactory | undefined;
  /** Shift of a node's clock (ms), read on every reading: clock-skew faults. */
  clockSkewMs?: (nodeId: string) => number;
}

export class Fleet {
  readonly agents = new Map<string, Agent>();
  readonly specs: SimNodeSpec[];
  readonly network: NetworkModel;
  private readonly points: Map<string, NetPoint>;
  /** Crashed nodes: their agent is gone and their address answers no probe. */
  private readonly down = new Set<string>();
  private log: Logger | null = null;

  constructor(private readonly opts: FleetOptions) {
    const prefix = opts.nodePrefix ?? '';
    this.specs = generateNodes(opts.scenario, opts.nodes).map((s) => ({ ...s, id: prefix + s.id }));
    this.network = opts.network ?? new NetworkModel({ seed: opts.scenario.seed });
    this.points = new Map(this.specs.map((s) => [s.id, netPointAt(s.site, s.id)]));
  }

  async start(): Promise<void> {
    const log = (this.log = this.opts.log ?? pino({ name: 'banyan-sim', level: process.env.LOG_LEVEL ?? 'warn' }));
    const queue = [...this.specs];
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const agent = this.makeAgent(spec, log);
        this.agents.set(spec.id, agent);
        await agent.start();
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 16 }, worker));
  }

  private makeAgent(spec: SimNodeSpec, log: Logger): Agent {
    const config = validateAgentConfig({
      ...defaultAgentConfig(),
      nodeId: spec.id,
      site: spec.site.id,
      brokerUrl: this.opts.brokerUrl,
      topicRoot: this.opts.topicRoot,
      labels: { simulated: 'true', district: spec.site.district, siteKind: spec.site.kind },
      location: { lat: spec.site.lat, lon: spec.site.lon, district: spec.site.district, siteKind: spec.site.kind },
      telemetryIntervalMs: this.opts.scenario.telemetryIntervalMs,
      stateDir: join(this.opts.stateRoot ?? '.banyan/sim', spec.id),
      ...this.opts.agentConfig,
    });
    const clock = this.opts.clock ?? systemClock;
    const skew = this.opts.clockSkewMs;
    const link = this.opts.link?.(spec);
    // Every runner kind is simulated: a simulated node never starts a real process or container.
    const simulated = new SimulatedRunner(clock);
    return new Agent(config, {
      host: new SimHostSource(spec, spec.pack.count),
      accelerators: this.opts.accelerators(spec),
      log: log.child({ node: spec.id }),
      clock: skew ? () => clock.now() + skew(spec.id) : () => clock.now(),
      execClock: clock,
      runners: { process: simulated, container: simulated, simulated },
      bench: new SimBenchSource(spec.seed, () => clock.now()),
      probe: new SimProbeSource({
        network: this.network,
        self: this.points.get(spec.id)!,
        count: config.probeCount,
        peer: (host) => (this.down.has(host) ? undefined : this.points.get(host)),
      }),
      responder: simProbeResponder(spec.id),
      ...(link ? { link } : {}),
    });
  }

  /** The node's process dies: no goodbye (the Last Will fires), and it answers no probe. */
  crash(id: string): void {
    const agent = this.agents.get(id);
    if (!agent || this.down.has(id)) return;
    this.down.add(id);
    agent.sever();
  }

  /** A crashed node boots again: a new agent process on the same state dir (outbox, workloads). */
  async restart(id: string): Promise<void> {
    const spec = this.specs.find((s) => s.id === id);
    if (!spec || !this.down.has(id)) return;
    this.down.delete(id);
    const agent = this.makeAgent(spec, this.log ?? pino({ level: 'silent' }));
    this.agents.set(id, agent);
    await agent.start();
  }

  isDown(id: string): boolean {
    return this.down.has(id);
  }

  get(id: string): Agent | undefined {
    return this.agents.get(id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents].filter(([id]) => !this.down.has(id)).map(([, a]) => a.stop()));
  }
}
