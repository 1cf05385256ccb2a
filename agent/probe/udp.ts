// The prober side of the peer-probe protocol (protocol/probe-datagram.ts): a request with a fresh
// nonce to the peer's advertised responder, timed to the echo of that nonce from that address.
// A reply from another node id (a stale address now used by someone else) counts as loss.
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { PeerTarget, RttStats } from '../../protocol/messages.ts';
import { parseHostPort } from '../../protocol/peers.ts';
import { decodeProbeDatagram, encodeProbeDatagram } from '../../protocol/probe-datagram.ts';
import { probe, type ProbeOptions } from './runner.ts';

interface Pending {
  address: string;
  port: number;
  nodeId: string;
  started: bigint;
  resolve: (ms: number) => void;
  reject: (e: Error) => void;
}

/** One socket per address family, shared by every attempt of a probe session; close() when done. */
export class UdpProber {
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();
  private readonly pending = new Map<string, Pending>();

  /** One request/echo round trip to address:port (an IP), in ms. */
  pingOnce(address: string, port: number, nodeId: string, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error(`probe of ${nodeId} at ${address}:${port} cancelled`));
      const nonce = randomBytes(8);
      const key = nonce.toString('hex');
      const done = () => {
        this.pending.delete(key);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(new Error(`no echo from ${nodeId} at ${address}:${port}`));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(key, {
        address,
        port,
        nodeId,
        started: process.hrtime.bigint(),
        resolve: (ms) => (done(), resolve(ms)),
        reject: (e) => (done(), reject(e)),
      });
      this.socket(isIP(address) === 6 ? 'udp6' : 'udp4').send(encodeProbeDatagram({ type: 'request', nonce, nodeId }), port, address, (err) => {
        if (err) this.pending.get(key)?.reject(err);
      });
    });
  }

  close(): void {
    for (const p of this.pending.values()) p.reject(new Error('prober closed'));
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private socket(type: 'udp4' | 'udp6'): Socket {
    let s = this.sockets.get(type);
    if (!s) {
      s = createSocket({ type });
      s.on('error', () => undefined);
      s.on('message', (msg, rinfo) => this.onReply(msg, rinfo));
      s.unref();
      this.sockets.set(type, s);
    }
    return s;
  }

  private onReply(msg: Buffer, from: RemoteInfo): void {
    const at = process.hrtime.bigint();
    const d = decodeProbeDatagram(msg);
    if (!d || d.type !== 'reply') return;
    const p = this.pending.get(d.nonce.toString('hex'));
    // Only the address we asked may answer: a nonce is no secret once on the wire.
    if (!p || from.address !== p.address || from.port !== p.port) return;
    if (d.nodeId !== p.nodeId) return p.reject(new Error(`${p.address}:${p.port} answered as node "${d.nodeId}", not "${p.nodeId}"`));
    p.resolve(Number(at - p.started) / 1e6);
  }
}

export type UdpProbeOptions = Omit<ProbeOptions, 'rttOnce' | 'target' | 'targetKind'>;

/**
 * Probes each peer at its advertised responder, one after another (concurrent probes on a small
 * edge link would measure each other's queueing); reported as kind 'peer', target = its node id.
 */
export async function probeUdpPeers(peers: readonly PeerTarget[], opts: UdpProbeOptions = {}): Promise<RttStats[]> {
  const prober = new UdpProber();
  const out: RttStats[] = [];
  try {
    for (const peer of peers) {
      if (opts.signal?.aborted) break;
      const hp = parseHostPort(peer.address);
      let address: string | undefined = isIP(hp.host) ? hp.host : undefined;
      out.push(
        await probe({
          ...opts,
          target: peer.nodeId,
          targetKind: 'peer',
          rttOnce: async (signal) => {
            // Resolved inside an attempt so an unresolvable name counts as loss, not a crash.
            address ??= (await lookup(hp.host)).address;
            return prober.pingOnce(address, hp.port, peer.nodeId, signal);
          },
        }),
      );
    }
  } finally {
    prober.close();
  }
  return out;
}
