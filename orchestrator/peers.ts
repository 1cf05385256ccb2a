// Node-to-node RTT on the orchestrator's request: a scheduler that asks a few random nodes each
// round to probe a few random peers, so the latency model learns node↔node distances (Vivaldi
// fits best from random pairs, as Serf gossips them), not only node↔landmark ones.
//
// A peer is probed at the probe address its birth advertised (its agent's responder); a node that
// advertised none is never a target (probing a guessed address would only read as loss), though it
// may still probe others. How peers are named on the wire is protocol/peers.ts.
import type { Logger } from 'pino';
import type { PeerTarget } from '../protocol/messages.ts';
import { peerTarget, whyNotPeerTarget } from '../protocol/peers.ts';
import type { OrchestratorCore } from './core.ts';

export interface PeerProbeOptions {
  intervalMs?: number;
  /** Nodes asked per round: the fleet is covered over many rounds, never flooded in one. */
  nodesPerRound?: number;
  peersPerNode?: number;
  probeCount?: number;
  random?: () => number;
  log?: Pick<Logger, 'debug'>;
}

export class PeerProbeScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  rounds = 0;
  asked = 0;
  /** Online nodes left out as targets in the last round: their birth advertises no usable probe address. */
  unaddressable = 0;

  constructor(
    private readonly orch: Pick<OrchestratorCore, 'registry' | 'command'>,
    private readonly opts: PeerProbeOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    this.timer = setInterval(() => this.round(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: returns how many probe commands were sent. */
  round(): number {
    this.rounds++;
    const online: string[] = [];
    const targets: PeerTarget[] = [];
    let unaddressable = 0;
    for (const n of this.orch.registry.all()) {
      if (n.status !== 'online' || !n.birth) continue;
      online.push(n.id);
      const t = peerTarget(n.id, n.birth.probeAddress);
      if (t) targets.push(t);
      else if (unaddressable++ === 0) this.opts.log?.debug({ node: n.id, why: whyNotPeerTarget(n.id, n.birth.probeAddress) }, 'node left out of peer probes');
    }
    this.unaddressable = unaddressable;
    if (online.length < 2 || targets.length === 0) return 0;
    const perNode = this.opts.peersPerNode ?? 3;
    let sent = 0;
    for (const id of this.sample(online, this.opts.nodesPerRound ?? 64)) {
      // One more than needed, dropping the node itself: no per-node copy of the fleet.
      const peers = this.sample(targets, perNode + 1)
        .filter((p) => p.nodeId !== id)
        .slice(0, perNode);
      if (peers.length === 0) continue;
      void this.orch.command(id, { action: 'probe', probe: { targets: [], count: this.opts.probeCount ?? 3, peers } }).catch(() => undefined);
      sent++;
    }
    this.asked += sent;
    return sent;
  }

  /** k distinct items, uniformly: by rejection when k is small against the fleet (no copy), else a partial shuffle. */
  private sample<T>(xs: readonly T[], k: number): T[] {
    const n = Math.min(k, xs.length);
    if (n * 4 <= xs.length) {
      const picked = new Set<number>();
      while (picked.size < n) picked.add(Math.floor(this.random() * xs.length));
      return [...picked].map((i) => xs[i]!);
    }
    const a = [...xs];
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.random() * (a.length - i));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a.slice(0, n);
  }
}
