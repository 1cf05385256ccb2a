// RTTs for simulated nodes from the fleet's network model: the node's site to the geography's
// landmarks, to the orchestrator's data centre, and to peers named by node id ("<node>:<port>").
// Seeded per (pair, probe number), so a fleet's figures repeat run after run; partitions and
// degradations injected into the model show up here as loss and delay.
import type { RttStats, RttTargetKind } from '../../protocol/messages.ts';
import type { ProbeRound, ProbeSource } from '../../agent/probe-source.ts';
import { ORCHESTRATOR_TARGET } from '../../agent/probe-source.ts';
import { parseHostPort, rttStats, type RttSample } from '../../agent/probe/index.ts';
import { LANDMARKS, siteById, type Site } from '../../orchestrator/geo/city.ts';
import type { NetPoint, NetworkModel } from './network.ts';
import { netPointAt } from './network.ts';

/** Where the orchestrator (and its broker) runs in the simulated city: the Gulou core DC. */
export const SIM_ORCHESTRATOR_SITE = 'fz-gulou-dc-1';

export interface SimProbeOptions {
  network: NetworkModel;
  /** This node. */
  self: NetPoint;
  count: number;
  /** Resolves a peer's host (a simulated node id) to where it stands. */
  peer: (host: string) => NetPoint | undefined;
  landmarks?: readonly Site[];
  orchestratorSite?: string;
}

export class SimProbeSource implements ProbeSource {
  private readonly probeNo = new Map<string, number>();
  private readonly orchestrator: NetPoint;

  constructor(private readonly opts: SimProbeOptions) {
    const site = siteById(opts.orchestratorSite ?? SIM_ORCHESTRATOR_SITE);
    if (!site) throw new Error(`orchestrator site "${opts.orchestratorSite}" is not in orchestrator/geo/city.ts`);
    this.orchestrator = netPointAt(site, 'orchestrator');
  }

  async scheduled(_round: ProbeRound): Promise<RttStats[]> {
    const landmarks = (this.opts.landmarks ?? LANDMARKS).map((s) => this.measure(s.id, 'landmark', netPointAt(s), this.opts.count));
    return [...landmarks, this.measure(ORCHESTRATOR_TARGET, 'orchestrator', this.orchestrator, this.opts.count)];
  }

  async peers(targets: readonly string[], count: number, _round: ProbeRound): Promise<RttStats[]> {
    return targets.map((t) => this.measure(t, 'peer', this.opts.peer(parseHostPort(t).host), count));
  }

  private measure(name: string, kind: RttTargetKind, to: NetPoint | undefined, count: number): RttStats {
    const samples: RttSample[] = [];
    for (let i = 0; i < count; i++) {
      if (!to) {
        samples.push(null); // an unknown peer answers nothing, as a dead address would
        continue;
      }
      const n = this.probeNo.get(to.id) ?? 0;
      this.probeNo.set(to.id, n + 1);
      const r = this.opts.network.probe(this.opts.self, to, n);
      samples.push(r.lost ? null : r.rttMs);
    }
    return rttStats(name, kind, samples);
  }
}
