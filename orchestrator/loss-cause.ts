// Why a node went quiet: crashed, partitioned, or hung. The orchestrator only sees silence or a
// Last Will; the cause comes from two kinds of evidence:
//   1. correlation — most of a district lost within one window is the district's links, not that
//      many independent crashes: 'partitioned';
//   2. peers — up to `peers` online nodes nearest to it (its own district first) are told to probe
//      it at the probe address its birth advertised. Someone reaches it: it is alive, so
//      'partitioned' when its connection died (Last Will) or 'hung' when it stayed connected but
//      silent. Every asked peer gets only loss: 'crashed'. A node that advertised no probe address
//      cannot be checked this way and stays 'unknown' unless its district's losses decide it.
// Built on the orchestrator's public surface (events, registry, command): attach one per instance.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Envelope } from '../protocol/messages.ts';
import { peerOf, peerTarget, whyNotPeerTarget } from '../protocol/peers.ts';
import type { LossCause, LossVerdict, NodeRecord, StatusChange } from './registry.ts';
import type { OrchestratorCore } from './core.ts';

// The verdict's shape lives with the node record that keeps it.
export type { LossCause, LossVerdict };

export interface LossCauseOptions {
  /** Peers asked to probe a lost node. */
  peers?: number;
  probeCount?: number;
  /** Losses in one district within this window count together. */
  windowMs?: number;
  /** Share of a district's nodes lost within the window that means a partition. */
  districtShare?: number;
  clock?: () => number;
  log?: Pick<Logger, 'debug'>;
}


export class LossClassifier extends EventEmitter<{ verdict: [v: LossVerdict] }> {
  private readonly verdicts = new Map<string, LossVerdict>();
  private readonly asked = new Map<string, Set<string>>();
  private readonly answered = new Map<string, Set<string>>();
  private readonly clock: () => number;
  private readonly peers: number;
  private readonly probeCount: number;
  private readonly windowMs: number;
  private readonly share: number;
  private readonly detach: () => void;
  private pending: NodeRecord[] = [];
  /** peer id -> lost nodes it was asked to probe, so a lost witness is replaced in O(its targets). */
  private readonly witnessing = new Map<string, Set<string>>();
  /** Lost nodes peers could not be asked about: their birth advertised no usable probe address. */
  unprobeable = 0;

  constructor(
    private readonly orch: Pick<OrchestratorCore, 'events' | 'registry' | 'command'>,
    private readonly opts: LossCauseOptions = {},
  ) {
    super();
    this.clock = opts.clock ?? Date.now;
    this.peers = opts.peers ?? 3;
    this.probeCount = opts.probeCount ?? 3;
    this.windowMs = opts.windowMs ?? 15_000;
    this.share = opts.districtShare ?? 0.6;
    const onStatus = (c: StatusChange) => this.onStatus(c);
    const onAccepted = (env: Envelope) => this.onAccepted(env);
    orch.events.on('status', onStatus);
    orch.events.on('accepted', onAccepted);
    this.detach = () => {
      orch.events.off('status', onStatus);
      orch.events.off('accepted', onAccepted);
    };
  }

  get(nodeId: string): LossVerdict | undefined {
    return this.verdicts.get(nodeId);
  }

  all(): LossVerdict[] {
    return [...this.verdicts.values()];
  }

  close(): void {
    this.detach();
  }

  private onStatus(c: StatusChange): void {
    const id = c.node.id;
    if (c.to === 'online') {
      const v = this.verdicts.get(id);
      if (v && v.backAtMs === null) v.backAtMs = this.clock();
      return;
    }
    if (c.to !== 'offline' || (c.reason !== 'will' && c.reason !== 'silent')) return;
    const v: LossVerdict = { nodeId: id, cause: 'unknown', lostAtMs: this.clock(), decidedAtMs: null, evidence: 'no evidence yet', backAtMs: null };
    this.verdicts.set(id, v);
    this.asked.set(id, new Set());
    this.answered.set(id, new Set());
    // Losses come in storms (a district cut, a broker restart): judge them together, against one
    // index of the fleet, so a storm costs O(N + losses × district) rather than O(N) per loss.
    this.pending.push(c.node);
    if (this.pending.length === 1) setImmediate(() => this.judgePending());
  }

  private judgePending(): void {
    const batch = this.pending.splice(0);
    const index = this.indexByDistrict();
    for (const node of batch) this.replaceWitness(node.id, index);
    for (const node of batch) {
      const v = this.verdicts.get(node.id);
      if (!v || v.decidedAtMs !== null || v.backAtMs !== null) continue;
      if (!this.checkDistrict(node, index)) this.askPeers(node, index);
    }
  }

  private indexByDistrict(): Map<string, NodeRecord[]> {
    const index = new Map<string, NodeRecord[]>();
    for (const n of this.orch.registry.all()) {
      if (!n.birth) continue;
      const d = districtOf(n);
      const list = index.get(d);
      if (list) list.push(n);
      else index.set(d, [n]);
    }
    return index;
  }

  /** True when the district's losses make this a partition (all its recent losses are re-labelled). */
  private checkDistrict(node: NodeRecord, index: Map<string, NodeRecord[]>): boolean {
    const district = districtOf(node);
    if (!district) return false;
    const now = this.clock();
    const inDistrict = index.get(district) ?? [];
    const lost = inDistrict.filter((n) => {
      const v = this.verdicts.get(n.id);
      return n.status === 'offline' && v && v.backAtMs === null && now - v.lostAtMs <= this.windowMs;
    });
    if (lost.length < 2 || lost.length < this.share * inDistrict.length) return false;
    for (const n of lost) this.decide(n.id, 'partitioned', `${lost.length} of ${inDistrict.length} nodes in ${district} lost within ${this.windowMs} ms`);
    return true;
  }

  /** A peer asked to probe some lost node is itself lost: ask the next nearest instead. */
  private replaceWitness(lostPeer: string, index: Map<string, NodeRecord[]>): void {
    const targets = this.witnessing.get(lostPeer);
    if (!targets) return;
    this.witnessing.delete(lostPeer);
    for (const target of targets) {
      const asked = this.asked.get(target);
      const v = this.verdicts.get(target);
      if (!asked?.delete(lostPeer) || !v || v.decidedAtMs !== null || v.backAtMs !== null) continue;
      const node = this.orch.registry.get(target);
      if (node) this.askPeers(node, index, 1);
    }
  }

  /** The nearest online peers, own district first: one pass keeping the best few, no sort. */
  private askPeers(node: NodeRecord, index: Map<string, NodeRecord[]>, count = this.peers): void {
    const loc = node.birth?.location;
    if (!loc) return;
    const target = peerTarget(node.id, node.birth!.probeAddress);
    if (!target) {
      const why = whyNotPeerTarget(node.id, node.birth!.probeAddress);
      const v = this.verdicts.get(node.id);
      if (v && v.decidedAtMs === null) v.evidence = `peers cannot probe it: ${why}`;
      this.unprobeable++;
      this.opts.log?.debug({ node: node.id, why }, 'lost node not probed by peers');
      return;
    }
    const district = districtOf(node);
    const asked = this.asked.get(node.id)!;
    const answered = this.answered.get(node.id);
    const usable = (n: NodeRecord) => n.id !== node.id && n.status === 'online' && n.birth !== null && !asked.has(n.id) && !answered?.has(n.id);
    const nearest = (pool: Iterable<NodeRecord>, k: number) => {
      const best: { n: NodeRecord; d: number }[] = [];
      for (const n of pool) {
        if (!usable(n)) continue;
        const d = sq(n.birth!.location.lat - loc.lat) + sq(n.birth!.location.lon - loc.lon);
        if (best.length === k && !closer(d, n.id, best[k - 1]!)) continue;
        best.push({ n, d });
        best.sort((a, b) => (closer(a.d, a.n.id, b) ? -1 : 1));
        if (best.length > k) best.pop();
      }
      return best.map((b) => b.n);
    };
    const own = nearest(index.get(district) ?? [], count);
    const others = own.length < count ? nearest([...index].filter(([d]) => d !== district).flatMap(([, ns]) => ns), count - own.length) : [];
    for (const n of [...own, ...others]) {
      asked.add(n.id);
      let targets = this.witnessing.get(n.id);
      if (!targets) this.witnessing.set(n.id, (targets = new Set()));
      targets.add(node.id);
      void this.orch.command(n.id, { action: 'probe', probe: { targets: [], count: this.probeCount, peers: [target] } }).catch(() => asked.delete(n.id));
    }
  }

  private onAccepted(env: Envelope): void {
    if (env.body !== 'latency') return;
    for (const t of env.latency.targets) {
      const target = peerOf(t);
      if (!target) continue;
      const v = this.verdicts.get(target);
      if (!v || v.backAtMs !== null || v.cause === 'partitioned') continue;
      const asked = this.asked.get(target);
      if (!asked?.has(env.nodeId)) continue;
      const node = this.orch.registry.get(target);
      if (t.received > 0) {
        const cause = node?.statusReason === 'silent' ? 'hung' : 'partitioned';
        this.decide(target, cause, `peer ${env.nodeId} reached it (p50 ${t.p50Ms.toFixed(2)} ms) while it was silent to us`);
        continue;
      }
      const answered = this.answered.get(target)!;
      answered.add(env.nodeId);
      // Two witnesses (or every one asked, when fewer could be) agreeing on silence: crashed.
      if (answered.size >= Math.min(2, asked.size)) this.decide(target, 'crashed', `${answered.size} peer(s) probed it and got no answer`);
    }
  }

  private decide(nodeId: string, cause: LossCause, evidence: string): void {
    const v = this.verdicts.get(nodeId);
    if (!v || (v.cause === cause && v.decidedAtMs !== null)) return;
    v.cause = cause;
    v.evidence = evidence;
    v.decidedAtMs = this.clock();
    this.emit('verdict', v);
  }
}

function districtOf(n: NodeRecord): string {
  return n.birth?.location.district ?? '';
}

function closer(d: number, id: string, than: { n: NodeRecord; d: number }): boolean {
  return d < than.d || (d === than.d && id < than.n.id);
}

function sq(x: number): number {
  return x * x;
}
