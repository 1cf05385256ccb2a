// The agent's lifecycle: learn the machine, connect with a Last Will, announce itself (birth +
// retained state) on every connect, report telemetry, answer commands. Hardware and the network
// come in through seams (agent/hardware.ts), so simulators run this same code.
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { encode, decode } from '../protocol/codec.ts';
import type { Accelerator, Birth, Body, Command, Envelope, EventKind } from '../protocol/messages.ts';
import { nodeTopic, type Channel } from '../protocol/topics.ts';
import type { AgentConfig } from './config.ts';
import { EnvelopeFactory } from './envelopes.ts';
import type { AcceleratorSource, HostSource } from './hardware.ts';
import { MqttLink } from './mqtt-link.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentDeps {
  host: HostSource;
  accelerators: AcceleratorSource;
  log?: Logger;
  clock?: () => number;
}

/** What a command handler returns becomes the ack; throwing acks with the error's message. */
export type CommandHandler = (cmd: Command, agent: Agent) => Promise<void | EventKind>;

export interface AgentEvents {
  connected: [];
  disconnected: [reason: string];
  command: [cmd: Command];
  published: [channel: Channel];
}

const QOS: Record<Channel, 0 | 1> = { birth: 1, state: 1, telemetry: 0, bench: 1, latency: 1, cmd: 1, event: 1 };
const RETAINED: ReadonlySet<Channel> = new Set(['birth', 'state', 'bench']);

export class Agent extends EventEmitter<AgentEvents> {
  readonly log: Logger;
  readonly envelopes: EnvelopeFactory;
  private readonly link: MqttLink;
  private accelerators: Accelerator[] = [];
  private detectWarnings: string[] = [];
  private birthHost: Birth['host'] | null = null;
  private telemetryTimer: NodeJS.Timeout | null = null;
  private readonly handlers = new Map<Command['action'], CommandHandler>();
  private runningWorkloads: () => string[] = () => [];
  /** Reports that could not be sent; the outbox replaces this once it is wired. */
  dropped = 0;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    super();
    this.log = deps.log ?? pino({ name: 'banyan-agent', level: process.env.LOG_LEVEL ?? 'info' });
    this.envelopes = new EnvelopeFactory(config.nodeId, deps.clock);
    this.link = new MqttLink({
      url: config.brokerUrl,
      clientId: config.nodeId,
      username: config.username,
      password: config.password,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      will: () => ({ topic: this.topic('state'), payload: encode(this.envelopes.will()) }),
    });
    this.link.on('up', () => void this.onConnected());
    this.link.on('down', (reason) => {
      this.log.warn({ reason }, 'broker connection lost; retrying with backoff');
      this.emit('disconnected', reason);
    });
    this.link.on('message', (topic, payload) => void this.onMessage(topic, payload));
    this.handle('ping', async (cmd) => ({ kind: 'pong', pong: cmd.action === 'ping' ? cmd.ping : '' }));
    this.handle('redetect', async () => {
      await this.redetect();
      return { kind: 'ack', ack: { ok: true, error: '' } };
    });
  }

  get connected(): boolean {
    return this.link.connected;
  }

  get detected(): { accelerators: Accelerator[]; warnings: string[] } {
    return { accelerators: this.accelerators, warnings: this.detectWarnings };
  }

  /** Registers the code that answers one kind of command (exec, bench and probe plug in here). */
  handle(action: Command['action'], handler: CommandHandler): void {
    this.handlers.set(action, handler);
  }

  /** Lets the workload supervisor tell births which workloads run here. */
  setRunningWorkloads(fn: () => string[]): void {
    this.runningWorkloads = fn;
  }

  async start(): Promise<void> {
    this.birthHost = await this.deps.host.facts();
    await this.redetect(false);
    this.link.subscribe(this.topic('cmd'));
    this.link.open();
    this.telemetryTimer = setInterval(() => void this.sendTelemetry(), this.config.telemetryIntervalMs);
    this.telemetryTimer.unref();
  }

  /** Graceful stop: says OFFLINE itself, so the orchestrator knows it was no crash. */
  async stop(): Promise<void> {
    this.stopTimers();
    if (this.link.connected) {
      await this.publish({ body: 'state', state: { status: 'OFFLINE' } }).catch(() => undefined);
    }
    await this.link.close();
  }

  /** Simulates a crash or a cut cable: no goodbye, the broker publishes the Last Will. */
  sever(): void {
    this.stopTimers();
    this.link.sever();
  }

  async redetect(announce = true): Promise<void> {
    const result = await this.deps.accelerators.detect();
    this.accelerators = result.accelerators;
    this.detectWarnings = result.warnings;
    for (const w of result.warnings) this.log.warn({ detect: w }, 'accelerator detection warning');
    if (announce && this.link.connected) await this.publishBirth();
  }

  birth(): Birth {
    const c = this.config;
    return {
      host: this.birthHost!,
      labels: c.labels,
      location: { lat: c.location.lat, lon: c.location.lon, site: c.site, district: c.location.district, siteKind: c.location.siteKind },
      accelerators: this.accelerators,
      agentVersion: AGENT_VERSION,
      runningWorkloads: this.runningWorkloads(),
      telemetryIntervalMs: c.telemetryIntervalMs,
    };
  }

  /** Sends one report; resolves true when it reached the broker. */
  async publish(body: Body): Promise<boolean> {
    const channel = body.body;
    const env = this.envelopes.next(body);
    try {
      await this.link.publish(this.topic(channel), encode(env), QOS[channel], RETAINED.has(channel));
      this.emit('published', channel);
      return true;
    } catch {
      this.dropped++;
      return false;
    }
  }

  topic(channel: Channel): string {
    return nodeTopic(this.config.topicRoot, this.config.site, this.config.nodeId, channel);
  }

  private async publishBirth(): Promise<void> {
    await this.publish({ body: 'birth', birth: this.birth() });
  }

  private async onConnected(): Promise<void> {
    this.log.info({ broker: this.config.brokerUrl, session: this.envelopes.sessionId }, 'connected');
    await this.publishBirth();
    await this.publish({ body: 'state', state: { status: 'ONLINE' } });
    this.emit('connected');
    void this.sendTelemetry();
  }

  private async sendTelemetry(): Promise<void> {
    if (!this.link.connected) return;
    try {
      const s = await this.deps.host.sample();
      await this.publish({
        body: 'telemetry',
        telemetry: { ...s, runningWorkloads: this.runningWorkloads().length },
      });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'telemetry sample failed');
    }
  }

  private async onMessage(topic: string, payload: Uint8Array): Promise<void> {
    if (topic !== this.topic('cmd')) return;
    const d = decode(payload);
    if (!d.ok) {
      this.log.warn({ reason: d.error.reason, detail: d.error.detail }, 'rejected a malformed command');
      return;
    }
    const env: Envelope = d.envelope;
    if (env.body !== 'cmd') return;
    const cmd = env.cmd;
    this.emit('command', cmd);
    const handler = this.handlers.get(cmd.action);
    let reply: EventKind;
    if (!handler) {
      reply = { kind: 'ack', ack: { ok: false, error: `this agent does not handle "${cmd.action}" commands` } };
    } else {
      try {
        reply = (await handler(cmd, this)) ?? { kind: 'ack', ack: { ok: true, error: '' } };
      } catch (e) {
        reply = { kind: 'ack', ack: { ok: false, error: (e as Error).message } };
      }
    }
    await this.publish({ body: 'event', event: { correlationId: cmd.correlationId, ...reply } });
  }

  private stopTimers(): void {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    this.telemetryTimer = null;
  }
}
