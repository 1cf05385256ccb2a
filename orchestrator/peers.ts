// Node-to-node RTT on the orchestrator's request: how a peer is named in a `probe` command, and a
// scheduler that asks a few random nodes each round to probe a few random peers, so the latency
// model learns node↔node distances (Vivaldi fits best from random pairs, as Serf gossips them),
// not only node↔landmark ones.
//
// A peer is addressed by its node id: simulated peers resolve it directly; a real deployment gives
// nodes resolvable host names (the agent's default node id is its hostname) and an open port.
import type { OrchestratorCore } from './core.ts';

export const DEFAULT_PEER_PORT = 22;

export function peerTarget(nodeId: string, port = DEFAULT_PEER_PORT): string {
  return `${nodeId}:${port}`;
}

/** The node id a `peer` RTT target names, or null when it is not host:port. */
export function peerOf(target: string): string | null {
  const i = target.lastIndexOf(':');
  return i > 0 ? target.slice(0, i) : null;
}

export interface PeerProbeOptions {
  intervalMs?: number;
  /** Nodes asked per round: the fleet is covered over many rounds, never flooded in one. */
  nodesPerRound?: number;
  peersPerNode?: number;
  probeCount?: number;
  port?: number;
  random?: () => number;
}

export class PeerProbeScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  rounds = 0;
  asked = 0;

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
    const online = [...this.orch.registry.all()].filter((n) => n.status === 'online' && n.birth).map((n) => n.id);
    if (online.length < 2) return 0;
    const peers = Math.min(this.opts.peersPerNode ?? 3, online.length - 1);
    let sent = 0;
    for (const id of this.sample(online, this.opts.nodesPerRound ?? 64)) {
      // One more than needed, dropping the node itself: no per-node copy of the fleet.
      const targets = this.sample(online, peers + 1)
        .filter((p) => p !== id)
        .slice(0, peers)
        .map((p) => peerTarget(p, this.opts.port));
      void this.orch.command(id, { action: 'probe', probe: { targets, count: this.opts.probeCount ?? 3, peers: [] } }).catch(() => undefined);
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
