// A simulated fleet: many instances of the real Agent, each with simulated host and accelerator
// facts, on real MQTT connections to whichever broker it is given.
import pino, { type Logger } from 'pino';
import { Agent } from '../../agent/agent.ts';
import { validateAgentConfig, defaultAgentConfig } from '../../agent/config.ts';
import type { AcceleratorSource } from '../../agent/hardware.ts';
import { generateNodes, type Scenario, type SimNodeSpec } from './scenario.ts';
import { SimHostSource } from './sim-host.ts';

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
}

export class Fleet {
  readonly agents = new Map<string, Agent>();
  readonly specs: SimNodeSpec[];

  constructor(private readonly opts: FleetOptions) {
    const prefix = opts.nodePrefix ?? '';
    this.specs = generateNodes(opts.scenario, opts.nodes).map((s) => ({ ...s, id: prefix + s.id }));
  }

  async start(): Promise<void> {
    const log = this.opts.log ?? pino({ name: 'banyan-sim', level: process.env.LOG_LEVEL ?? 'warn' });
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
      stateDir: `.banyan/sim/${spec.id}`,
    });
    return new Agent(config, {
      host: new SimHostSource(spec, spec.pack.count),
      accelerators: this.opts.accelerators(spec),
      log: log.child({ node: spec.id }),
    });
  }

  get(id: string): Agent | undefined {
    return this.agents.get(id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
  }
}
