// Where the agent's RTT figures come from: the real node times TCP connects to landmarks and
// peers and MQTT PUBACKs from its broker; a simulated node asks the fleet's network model.
import type { RttStats } from '../protocol/messages.ts';
import { probe, probeTcpTargets, type RttOnce, type TcpTarget } from './probe/index.ts';

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

export interface ProbeSource {
  /** The scheduled round: every landmark, and the orchestrator. */
  scheduled(round: ProbeRound): Promise<RttStats[]>;
  /** On demand (cmd probe): peers given as host:port. */
  peers(targets: readonly string[], count: number, round: ProbeRound): Promise<RttStats[]>;
}

export interface TcpProbeSourceOptions {
  landmarks: readonly Landmark[];
  count: number;
  timeoutMs: number;
  /** Gap between attempts to one target; default 200 ms, so a round never floods a link. */
  intervalMs?: number;
}

/** The target name under which the orchestrator's RTT is reported. */
export const ORCHESTRATOR_TARGET = 'orchestrator';

export class TcpProbeSource implements ProbeSource {
  constructor(private readonly opts: TcpProbeSourceOptions) {}

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

  peers(targets: readonly string[], count: number, round: ProbeRound): Promise<RttStats[]> {
    return probeTcpTargets(
      targets.map((t) => ({ hostPort: t, kind: 'peer' })),
      this.common(count, round.signal),
    );
  }

  private common(count: number, signal: AbortSignal) {
    return { count, timeoutMs: this.opts.timeoutMs, intervalMs: this.opts.intervalMs ?? 200, signal };
  }
}
