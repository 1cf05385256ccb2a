// Where the agent's RTT figures come from: the real node times TCP connects to landmarks, the UDP
// probe protocol against peers' advertised responders, and MQTT PUBACKs from its broker; a
// simulated node asks the fleet's network model.
import type { PeerTarget, RttStats } from '../protocol/messages.ts';
import { probe, probeTcpTargets, probeUdpPeers, type RttOnce, type TcpTarget } from './probe/index.ts';

export interface Landmark {
  name: string;
  host: string;
  port: number;
}

export interface ProbeRound {
  /** One round trip through the broker the agent is connected to (rejects when offline). */
  brokerRtt: RttOnce;
  signal: AbortSignal;
}

/** What a `probe` command asks for (ProbeRequest without its count). */
export interface RequestedProbes {
  /** Landmarks as host:port, probed by TCP connect and reported as kind 'landmark'. */
  targets: readonly string[];
  /** Peers at their advertised responder, reported as kind 'peer' under their node id. */
  peers: readonly PeerTarget[];
}

export interface ProbeSource {
  /** The scheduled round: every landmark, and the orchestrator. */
  scheduled(round: ProbeRound): Promise<RttStats[]>;
  /** On demand (cmd probe). */
  requested(req: RequestedProbes, count: number, round: ProbeRound): Promise<RttStats[]>;
}

export interface NodeProbeSourceOptions {
  landmarks: readonly Landmark[];
  count: number;
  timeoutMs: number;
  /** Gap between attempts to one target; default 200 ms, so a round never floods a link. */
  intervalMs?: number;
}

/** The target name under which the orchestrator's RTT is reported. */
export const ORCHESTRATOR_TARGET = 'orchestrator';

export class NodeProbeSource implements ProbeSource {
  constructor(private readonly opts: NodeProbeSourceOptions) {}

  async scheduled(round: ProbeRound): Promise<RttStats[]> {
    const landmarks: TcpTarget[] = this.opts.landmarks.map((l) => ({
      hostPort: l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`,
      kind: 'landmark',
      name: l.name,
    }));
    const out = await probeTcpTargets(landmarks, this.common(this.opts.count, round.signal));
    if (round.signal.aborted) return out;
    // Agent ↔ broker RTT: the agent cannot time the orchestrator itself over MQTT without an
    // answer from it, and in deployments the orchestrator sits next to its broker.
    out.push(
      await probe({
        target: ORCHESTRATOR_TARGET,
        targetKind: 'orchestrator',
        rttOnce: round.brokerRtt,
        ...this.common(this.opts.count, round.signal),
      }),
    );
    return out;
  }

  async requested(req: RequestedProbes, count: number, round: ProbeRound): Promise<RttStats[]> {
    const common = this.common(count, round.signal);
    const landmarks = await probeTcpTargets(
      req.targets.map((t) => ({ hostPort: t, kind: 'landmark' })),
      common,
    );
    if (round.signal.aborted) return landmarks;
    return [...landmarks, ...(await probeUdpPeers(req.peers, common))];
  }

  private common(count: number, signal: AbortSignal) {
    return { count, timeoutMs: this.opts.timeoutMs, intervalMs: this.opts.intervalMs ?? 200, signal };
  }
}
