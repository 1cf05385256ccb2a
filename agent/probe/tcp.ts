// TCP connect time as RTT: the SYN → SYN-ACK round trip, with no root (unlike ICMP) and against
// anything that listens (landmarks; peers answer the UDP probe protocol instead, udp.ts). The
// name is resolved once, before timing, so DNS never pollutes the figure.
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { RttStats, RttTargetKind } from '../../protocol/messages.ts';
import { formatHostPort, parseHostPort, type HostPort } from '../../protocol/peers.ts';
import { probe, type ProbeOptions } from './runner.ts';

// host:port is a wire convention (landmarks, Birth.probeAddress): parsed in one place.
export { formatHostPort, parseHostPort, TargetFormatError, type HostPort } from '../../protocol/peers.ts';

/** One TCP connect, timed from the connect call to the established socket, in ms. */
export function tcpConnectOnce(address: string, port: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error(`connect to ${address}:${port} cancelled`));
    const started = process.hrtime.bigint();
    const socket = connect({ host: address, port, noDelay: true });
    const finish = (err: Error | null) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      if (err) reject(err);
      else resolve(ms);
    };
    const onAbort = () => finish(new Error(`connect to ${address}:${port} cancelled`));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(null));
    socket.once('error', (e) => finish(e));
  });
}

export interface TcpProbeOptions extends Omit<ProbeOptions, 'rttOnce' | 'target' | 'targetKind'> {
  /** The name reported in RttStats; defaults to host:port. */
  name?: string;
}

/** Probes host:port by TCP connect time; a refused or silent port counts as loss. */
export async function probeTcp(
  hostPort: string | HostPort,
  targetKind: RttTargetKind,
  opts: TcpProbeOptions = {},
): Promise<RttStats> {
  const hp = typeof hostPort === 'string' ? parseHostPort(hostPort) : hostPort;
  const target = opts.name ?? formatHostPort(hp);
  let address: string | undefined = isIP(hp.host) ? hp.host : undefined;
  return probe({
    ...opts,
    target,
    targetKind,
    rttOnce: async (signal) => {
      // Resolved lazily inside an attempt so an unresolvable name counts as loss, not a crash.
      address ??= (await lookup(hp.host)).address;
      return tcpConnectOnce(address, hp.port, signal);
    },
  });
}


export interface TcpTarget {
  hostPort: string;
  kind: RttTargetKind;
  name?: string;
}

/**
 * Probes landmarks and peers one after another (never in parallel: concurrent connects on a
 * small edge link would measure each other's queueing).
 */
export async function probeTcpTargets(targets: readonly TcpTarget[], opts: TcpProbeOptions = {}): Promise<RttStats[]> {
  const out: RttStats[] = [];
  for (const t of targets) {
    if (opts.signal?.aborted) break;
    out.push(await probeTcp(t.hostPort, t.kind, { ...opts, name: t.name ?? t.hostPort }));
  }
  return out;
}
