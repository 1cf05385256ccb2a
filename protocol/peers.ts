// How peers are named on the wire. The orchestrator asks node A to probe node B with a PeerTarget
// { nodeId: B, address: the host:port B's birth advertised (Birth.probeAddress) }; A reports the
// result as an RttStats with targetKind 'peer' and target = B's node id, so the latency model and
// the loss classifier know the peer by id whatever its address.
import type { PeerTarget, RttStats } from './messages.ts';
import { isValidSegment } from './topics.ts';

export interface HostPort {
  host: string;
  port: number;
}

export class TargetFormatError extends Error {
  override name = 'TargetFormatError';
}

/** "host:port", "1.2.3.4:443" or "[::1]:8883"; throws a TargetFormatError naming the input. */
export function parseHostPort(s: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\s\[\]]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new TargetFormatError(`probe target "${s}" is not host:port (IPv6 as [addr]:port, port 1..65535)`);
  }
  return { host: m[1]!, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** A well-formed host:port, as Birth.probeAddress and PeerTarget.address must be. */
export function isProbeAddress(s: string): boolean {
  try {
    parseHostPort(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * The target to hand a prober for node `nodeId`, from the probe address its birth advertised;
 * null when it advertised none (no responder runs there) or a malformed one: such a node is
 * never a peer target, since any guessed address would read as "unreachable".
 */
export function peerTarget(nodeId: string, probeAddress: string | undefined): PeerTarget | null {
  if (!isValidSegment(nodeId) || !probeAddress || !isProbeAddress(probeAddress)) return null;
  return { nodeId, address: probeAddress };
}

/** Why peerTarget gave null, for a debug line. */
export function whyNotPeerTarget(nodeId: string, probeAddress: string | undefined): string {
  if (!isValidSegment(nodeId)) return `node id "${nodeId}" is not a topic segment`;
  if (!probeAddress) return 'its birth advertises no probe address (no probe responder runs there)';
  return `its probe address "${probeAddress}" is not host:port`;
}

/** The node id a peer RTT names; null for landmark and orchestrator figures or a malformed id. */
export function peerOf(t: Pick<RttStats, 'target' | 'targetKind'>): string | null {
  return t.targetKind === 'peer' && isValidSegment(t.target) ? t.target : null;
}
