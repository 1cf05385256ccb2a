// Applies planned faults to a running rehearsal, on wall-clock timers from the moment the fleet is
// up (or at once, for a live command), and records when each fault started and ended.
import { randomUUID } from 'node:crypto';
import { decode, encode } from '../../protocol/codec.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import type { Fleet } from '../fleet/fleet.ts';
import type { DistrictId } from '../../orchestrator/geo/city.ts';
import type { NetworkModel } from '../fleet/network.ts';
import type { ChaosLink } from './chaos-link.ts';
import type { PlannedFault } from './timeline.ts';

export interface ChaosTargets {
  fleet: Fleet;
  network: NetworkModel;
  topicRoot: string;
  /** The current link of each node (a restarted agent gets a new one). */
  link(nodeId: string): ChaosLink | undefined;
  /** Recent payloads a node sent, oldest first (for duplicates and replays). */
  recent(nodeId: string): Uint8Array[];
  /** Publishes as if `clientId` had sent it. */
  inject(topic: string, payload: Uint8Array, clientId: string): Promise<void>;
  /** null: this rehearsal cannot restart the broker (it is not ours). */
  restartBroker: ((downMs: number) => Promise<void>) | null;
  restartOrchestrator(downMs: number): Promise<void>;
  skew: Map<string, number>;
}

export interface FaultRecord {
  id: string;
  kind: PlannedFault['fault']['kind'];
  nodes: string[];
  random: boolean;
  /** Wall clock (Date.now) when it was applied and when it ended (null: still on, or instantaneous). */
  startedAtMs: number;
  endedAtMs: number | null;
  /** Bad messages it sent, for the rejected-by-reason check. */
  injected: number;
  /** Why it could not be applied, if it could not. */
  skipped?: string;
}

export class ChaosInjector {
  readonly records: FaultRecord[] = [];
  /** Extra RTT per district while a latency spike is on: the truth the report measures against. */
  readonly spikes = new Map<DistrictId, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly t: ChaosTargets) {}

  /** Schedules the plan relative to now. */
  schedule(plan: readonly PlannedFault[]): void {
    for (const p of plan) this.later(p.fault.atMs, () => this.apply(p));
  }

  /** Applies one fault now; resolves when its effect (not its duration) is in place. */
  apply(p: PlannedFault): Promise<FaultRecord> {
    const rec: FaultRecord = { id: p.id, kind: p.fault.kind, nodes: p.nodes, random: p.random, startedAtMs: Date.now(), endedAtMs: null, injected: 0 };
    this.records.push(rec);
    const done = this.track(this.run(p, rec).catch((e: Error) => void (rec.skipped = e.message))).then(() => rec);
    return done;
  }

  /** Waits for every fault that has started to finish its effects (restarts, heals). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async run(p: PlannedFault, rec: FaultRecord): Promise<void> {
    const f = p.fault;
    const t = this.t;
    const end = (ms: number, fn: () => void | Promise<void>) =>
      this.later(ms, async () => {
        await fn();
        rec.endedAtMs = Date.now();
      });
    switch (f.kind) {
      case 'crash':
        for (const id of p.nodes) t.fleet.crash(id);
        if (f.restartAfterMs !== undefined) end(f.restartAfterMs, async () => void (await Promise.all(p.nodes.map((id) => t.fleet.restart(id)))));
        return;
      case 'hang':
        for (const id of p.nodes) t.link(id)?.freeze();
        end(f.durationMs, () => p.nodes.forEach((id) => t.link(id)?.thaw()));
        return;
      case 'partition':
        if (f.district) t.network.partition(f.district as DistrictId);
        for (const id of p.nodes) t.link(id)?.cut(`partition ${f.district ?? f.site}`);
        end(f.durationMs, () => {
          if (f.district) t.network.heal(f.district as DistrictId);
          for (const id of p.nodes) t.link(id)?.heal();
        });
        return;
      case 'latency-spike': {
        const d = f.district as DistrictId;
        t.network.degrade(d, { extraRttMs: f.extraRttMs, extraLoss: f.extraLoss ?? 0 });
        this.spikes.set(d, f.extraRttMs);
        end(f.durationMs, () => {
          t.network.restore(d);
          this.spikes.delete(d);
        });
        return;
      }
      case 'broker-restart':
        if (!t.restartBroker) throw new Error('the broker is not this rehearsal\'s own (external --broker); broker-restart skipped');
        await t.restartBroker(f.downMs);
        rec.endedAtMs = Date.now();
        return;
      case 'orchestrator-restart':
        await t.restartOrchestrator(f.downMs);
        rec.endedAtMs = Date.now();
        return;
      case 'clock-skew':
        for (const id of p.nodes) t.skew.set(id, f.skewMs);
        return;
      case 'flap':
        for (let c = 0; c < f.cycles; c++) {
          this.later(c * f.periodMs * 2, () => p.nodes.forEach((id) => t.link(id)?.cut('flap')));
          this.later(c * f.periodMs * 2 + f.periodMs, () => p.nodes.forEach((id) => t.link(id)?.heal()));
        }
        end(f.cycles * f.periodMs * 2, () => undefined);
        return;
      case 'malformed':
      case 'duplicate':
      case 'replay':
      case 'spoof':
        rec.injected = await this.badTraffic(f.kind, p.nodes, f.messages ?? 1);
        return;
    }
  }

  /** Sends bad messages on the nodes' topics; returns how many went out. */
  private async badTraffic(kind: 'malformed' | 'duplicate' | 'replay' | 'spoof', nodes: string[], perNode: number): Promise<number> {
    const t = this.t;
    let sent = 0;
    const specs = new Map(t.fleet.specs.map((s) => [s.id, s]));
    for (const [i, id] of nodes.entries()) {
      const spec = specs.get(id)!;
      const recent = t.recent(id);
      for (let k = 0; k < perNode; k++) {
        const topic = (channel: 'telemetry' | 'state', node = spec) => nodeTopic(t.topicRoot, node.site.id, node.id, channel);
        if (kind === 'malformed') {
          // Deterministic garbage: a protobuf tag for a field that does not exist, then junk.
          await t.inject(topic('telemetry'), Uint8Array.from([0xff, 0xff, 0xff, 0x0f, i & 0xff, k & 0xff, 0x01]), id);
        } else if (kind === 'duplicate' || kind === 'replay') {
          const old = recent.at(kind === 'duplicate' ? -1 : 0);
          if (!old) continue;
          const d = decode(old);
          if (!d.ok) continue;
          const env = kind === 'duplicate' ? d.envelope : { ...d.envelope, msgId: randomUUID() };
          await t.inject(nodeTopic(t.topicRoot, spec.site.id, id, d.envelope.body as 'telemetry'), encode(env), id);
        } else {
          // Another node's identity in the envelope, on this node's topic.
          const victim = t.fleet.specs[(t.fleet.specs.indexOf(spec) + 1) % t.fleet.specs.length]!;
          const d = recent.length ? decode(recent.at(-1)!) : null;
          if (!d?.ok) continue;
          const env = { ...d.envelope, msgId: randomUUID(), nodeId: victim.id };
          await t.inject(nodeTopic(t.topicRoot, spec.site.id, id, d.envelope.body as 'telemetry'), encode(env), id);
        }
        sent++;
      }
    }
    return sent;
  }

  private later(ms: number, fn: () => unknown): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) void this.track(Promise.resolve().then(fn));
    }, ms);
    this.timers.add(timer);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }
}
