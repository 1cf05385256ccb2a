// What a rehearsal saw, from both ends: the ledger of messages agents handed to the transport and
// which of them the orchestrator accepted; rejections by reason; each node's status changes; and
// every placement with the network model's true RTT at that moment. Survives orchestrator restarts
// (attach() each new instance).
import { decode } from '../../protocol/codec.ts';
import type { Envelope } from '../../protocol/messages.ts';
import { CHANNELS, type Channel } from '../../protocol/topics.ts';
import { LossClassifier, type LossVerdict } from '../../orchestrator/loss-cause.ts';
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import type { StatusChange } from '../../orchestrator/registry.ts';
import type { Workload } from '../../orchestrator/workloads/manager.ts';
import type { LinkTap } from './chaos-link.ts';

export interface StatusMark {
  atMs: number;
  to: StatusChange['to'];
  reason: StatusChange['reason'];
}

export interface PlacementMark {
  workloadId: string;
  nodeId: string;
  atMs: number;
  /** The orchestrator's RTT at decision time, and its stated error bound (0 when measured). */
  estimateMs: number | null;
  errorMs: number;
  measured: boolean;
  maxRttMs: number | null;
  /** What the network model says the RTT is (base + any injected spike). */
  trueMs: number | null;
}

export interface ObserverOptions {
  /** True RTT from a node to a workload's latency target; null when there is no SLO. */
  truth: (nodeId: string, w: Workload) => number | null;
  /** Recent payloads kept per node for duplicate/replay faults. */
  keepRecent?: number;
}

const RECENT = 8;

export class Observer {
  /** msg ids agents got past the transport, by channel, until the orchestrator accepts them. */
  private readonly unaccepted = new Map<string, Channel>();
  /** Every msg id already in the ledger (a re-send after a lost PUBACK is not sent twice). */
  private readonly counted = new Set<string>();
  /** Accepted before the sender's transport confirmed it. */
  private readonly acceptedFirst = new Set<string>();
  readonly sent = zeroByChannel();
  readonly accepted = zeroByChannel();
  readonly rejected = new Map<string, number>();
  readonly status = new Map<string, StatusMark[]>();
  readonly placements: PlacementMark[] = [];
  /** Which node each workload was on, with when it got there: the re-placement clock starts from it. */
  readonly workloadNodes = new Map<string, { nodeId: string; atMs: number }[]>();
  readonly verdicts = new Map<string, LossVerdict[]>();
  private readonly recentByNode = new Map<string, Uint8Array[]>();
  private classifier: LossClassifier | null = null;
  private detach: (() => void) | null = null;

  constructor(private readonly opts: ObserverOptions) {}

  /** For ChaosLink: every publish the transport accepted goes in the ledger. */
  readonly tap: LinkTap = { sent: (nodeId, topic, payload) => this.sentMessage(nodeId, topic, payload) };

  private sentMessage(nodeId: string, _topic: string, payload: Uint8Array): void {
    const d = decode(payload);
    if (!d.ok) return;
    const ch = d.envelope.body;
    const id = d.envelope.msgId;
    if (this.counted.has(id)) return;
    this.counted.add(id);
    this.sent[ch]++;
    // Over real sockets the orchestrator may accept it before the PUBACK reaches the agent.
    if (this.acceptedFirst.delete(id)) this.accepted[ch]++;
    else this.unaccepted.set(id, ch);
    let r = this.recentByNode.get(nodeId);
    if (!r) this.recentByNode.set(nodeId, (r = []));
    if (ch === 'telemetry') {
      r.push(payload);
      if (r.length > (this.opts.keepRecent ?? RECENT)) r.shift();
    }
  }

  recent(nodeId: string): Uint8Array[] {
    return this.recentByNode.get(nodeId) ?? [];
  }

  /** Follows an orchestrator instance (again after each restart). */
  attach(orch: Orchestrator): LossClassifier {
    this.detach?.();
    this.classifier?.close();
    const onAccepted = (env: Envelope) => {
      const ch = this.unaccepted.get(env.msgId);
      if (ch) {
        this.unaccepted.delete(env.msgId);
        this.accepted[ch]++;
      } else if (!this.counted.has(env.msgId)) this.acceptedFirst.add(env.msgId);
    };
    const onRejected = (reason: string) => this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    const onStatus = (c: StatusChange) => {
      let marks = this.status.get(c.node.id);
      if (!marks) this.status.set(c.node.id, (marks = []));
      marks.push({ atMs: Date.now(), to: c.to, reason: c.reason });
    };
    const onWorkload = (w: Workload) => this.onWorkload(orch, w);
    orch.events.on('accepted', onAccepted);
    orch.events.on('rejected', onRejected);
    orch.events.on('status', onStatus);
    orch.events.on('workload', onWorkload);
    this.detach = () => {
      orch.events.off('accepted', onAccepted);
      orch.events.off('rejected', onRejected);
      orch.events.off('status', onStatus);
      orch.events.off('workload', onWorkload);
    };
    const classifier = orch.losses;
    classifier.on('verdict', (v) => {
      const list = this.verdicts.get(v.nodeId) ?? [];
      list.push({ ...v });
      this.verdicts.set(v.nodeId, list);
    });
    this.classifier = classifier;
    return classifier;
  }

  /** Messages agents sent that the orchestrator never accepted, by channel. */
  lost(): Record<Channel, number> {
    const out = zeroByChannel();
    for (const ch of this.unaccepted.values()) out[ch]++;
    return out;
  }

  close(): void {
    this.detach?.();
    this.classifier?.close();
  }

  private onWorkload(orch: Orchestrator, w: Workload): void {
    const last = w.history.at(-1);
    if (!last || last.state !== 'placed' || !w.nodeId || last.nodeId !== w.nodeId) return;
    const trail = this.workloadNodes.get(w.id) ?? [];
    if (trail.at(-1)?.nodeId === w.nodeId && trail.at(-1)!.atMs === last.atMs) return;
    trail.push({ nodeId: w.nodeId, atMs: Date.now() });
    this.workloadNodes.set(w.id, trail);
    const est = w.spec.latency ? orch.latency.estimateTo(w.nodeId, w.spec.latency.to) : undefined;
    this.placements.push({
      workloadId: w.id,
      nodeId: w.nodeId,
      atMs: Date.now(),
      estimateMs: w.rttMs,
      errorMs: est?.errorMs ?? 0,
      measured: w.rttMeasured,
      maxRttMs: w.spec.latency?.maxRttMs ?? null,
      trueMs: this.opts.truth(w.nodeId, w),
    });
  }
}

function zeroByChannel(): Record<Channel, number> {
  return Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
}
