// RTTs for simulated nodes from the fleet's network model: the node's site to the geography's
// landmarks, to the orchestrator's data centre, and to peers at the probe address they advertise
// (a simulated node's is "<node id>:<probe port>": the network model knows hosts by node id).
// Seeded per (pair, probe number), so a fleet's figures repeat run after run; partitions and
// degradations injected into the model show up here as loss and delay.
import type { RttStats, RttTargetKind } from '../../protocol/messages.ts';
import { parseHostPort } from '../../protocol/peers.ts';
import { DEFAULT_PROBE_PORT } from '../../protocol/probe-datagram.ts';
import type { ProbeRound, ProbeSource, RequestedProbes } from '../../agent/probe-source.ts';
import { ORCHESTRATOR_TARGET } from '../../agent/probe-source.ts';
import { rttStats, type ProbeResponderHandle, type RttSample } from '../../agent/probe/index.ts';
import { LANDMARKS, siteById, type Site } from '../../orchestrator/geo/city.ts';
import type { NetPoint, NetworkModel } from './network.ts';
import { netPointAt } from './network.ts';

/** Where the orchestrator (and its broker) runs in the simulated city: the Gulou core DC. */
export const SIM_ORCHESTRATOR_SITE = 'fz-gulou-dc-1';

/** The probe address a simulated node advertises in its birth. */
export function simProbeAddress(nodeId: string): string {
  return `${nodeId}:${DEFAULT_PROBE_PORT}`;
}

/** A simulated node's responder: binds nothing, advertises simProbeAddress; the network model answers. */
export function simProbeResponder(nodeId: string): ProbeResponderHandle {
  return { start: async () => simProbeAddress(nodeId), close: async () => undefined };
}

export interface SimProbeOptions {
  network: NetworkModel;
  /** This node. */
  self: NetPoint;
  count: number;
  /** Resolves the host of a peer's probe address (a simulated node id) to where it stands. */
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

  async requested(req: RequestedProbes, count: number, _round: ProbeRound): Promise<RttStats[]> {
    const landmarks = this.opts.landmarks ?? LANDMARKS;
    const byHost = (t: string) => landmarks.find((s) => s.id === parseHostPort(t).host);
    return [
      ...req.targets.map((t) => {
        const site = byHost(t);
        return this.measure(t, 'landmark', site && netPointAt(site), count);
      }),
      ...req.peers.map((p) => this.measure(p.nodeId, 'peer', this.opts.peer(parseHostPort(p.address).host), count)),
    ];
  }

  private measure(name: string, kind: RttTargetKind, to: NetPoint | undefined, count: number): RttStats {
    const samples: RttSample[] = [];
    for (let i = 0; i < count; i++) {
      if (!to) {
        samples.push(null); // an unknown address answers nothing, as a dead one would
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
