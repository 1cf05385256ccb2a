// So that "nearest instance" rests on measurements, not only on Vivaldi: each round, every node
// that runs a replica probes the next few online nodes (round-robin over the fleet). A client's
// place is reached through the node standing nearest it, so these probes make most answers
// measured. Bounded: peersPerNode probes per instance node per round, never the whole fleet at once.
import type { PeerTarget } from '../../protocol/messages.ts';
import { peerTarget } from '../../protocol/peers.ts';
import type { OrchestratorCore } from '../core.ts';
import type { Workload } from '../workloads/workload.ts';

/** Rounds run on the orchestrator's timer, at the peer-probe interval. */
export interface InstanceProbeOptions {
  peersPerNode?: number;
  probeCount?: number;
}

export class InstanceProbeScheduler {
  /** Per instance node, where in the fleet its next round starts. */
  private readonly cursor = new Map<string, number>();
  rounds = 0;

  constructor(
    private readonly orch: Pick<OrchestratorCore, 'registry' | 'command'>,
    private readonly instances: () => Iterable<Workload>,
    private readonly opts: InstanceProbeOptions = {},
  ) {}

  /** One round; returns how many probe commands went out. */
  round(): number {
    this.rounds++;
    const nodes = new Set<string>();
    for (const w of this.instances()) if (w.replica && w.state === 'running' && w.nodeId) nodes.add(w.nodeId);
    if (nodes.size === 0) return 0;
    const targets: PeerTarget[] = [];
    for (const n of this.orch.registry.all()) {
      const t = n.status === 'online' ? peerTarget(n.id, n.birth?.probeAddress) : null;
      if (t) targets.push(t);
    }
    targets.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    const per = Math.min(this.opts.peersPerNode ?? 8, targets.length);
    let sent = 0;
    for (const id of nodes) {
      const from = this.cursor.get(id) ?? 0;
      const peers: PeerTarget[] = [];
      for (let k = 0; k < per; k++) {
        const p = targets[(from + k) % targets.length]!;
        if (p.nodeId !== id) peers.push(p);
      }
      this.cursor.set(id, (from + per) % Math.max(1, targets.length));
      if (peers.length === 0) continue;
      void this.orch.command(id, { action: 'probe', probe: { targets: [], count: this.opts.probeCount ?? 3, peers } }).catch(() => undefined);
      sent++;
    }
    return sent;
  }
}
