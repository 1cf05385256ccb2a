// The peer-probe responder every agent runs, so that other nodes can measure node↔node RTT and,
// when this node falls silent to the orchestrator, tell "still reachable" (partitioned, hung) from
// "gone" (crashed). Its host:port goes out in the birth (Birth.probeAddress).
//
// UDP echo rather than TCP accept: one datagram each way is the round trip with nothing else in
// it (no handshake, no TIME_WAIT left behind by thousands of probes, no accept backlog a flood can
// fill), it is what Serf/memberlist use for the same job, and a stateless responder is easy to
// bound. It answers only well-formed probe datagrams (protocol/probe-datagram.ts), with a reply
// the size of the request (no amplification), addressed to it (a probe meant for another node is
// not answered, so a stale address reads as loss, not as that node), and within token buckets per
// source address and in total, so it can be used neither as a reflector nor to burn the node's CPU.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatHostPort, parseHostPort } from '../../protocol/peers.ts';
import { decodeProbeDatagram, encodeProbeDatagram } from '../../protocol/probe-datagram.ts';

/** What the agent needs of a responder; simulated nodes pass one that binds nothing. */
export interface ProbeResponderHandle {
  /** Starts answering; resolves with the host:port to advertise ('' when peers cannot reach it). */
  start(): Promise<string>;
  close(): Promise<void>;
}

export interface ProbeResponderOptions {
  /** The node this responder speaks for: it answers probes addressed to it (or to no node). */
  nodeId: string;
  /** '0.0.0.0' (every IPv4 interface), '::', or one address. */
  bindHost: string;
  /** 0: any free port (tests). */
  port: number;
  /** 'host' or 'host:port' peers should use (NAT, containers); '' picks one (advertisedProbeAddress). */
  advertise: string;
  /** Replies per second to one source address, and the burst it may use at once. */
  perSourceRate?: number;
  perSourceBurst?: number;
  /** Replies per second in total, and the burst. */
  globalRate?: number;
  globalBurst?: number;
  /** Source addresses remembered for rate limiting; the least recent is forgotten beyond this. */
  maxSources?: number;
  now?: () => number;
}

export interface ProbeResponderStats {
  answered: number;
  /** Not a probe datagram (size, magic, version, type, fields): dropped without a reply. */
  malformed: number;
  /** A probe addressed to another node id. */
  misaddressed: number;
  /** Over the per-source bucket. */
  limitedSource: number;
  /** Over the global bucket. */
  limitedGlobal: number;
}

/** A token bucket: `rate` tokens per second up to `burst`; take() spends one if there is one. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs rate > 0 and burst ≥ 1');
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The address peers should probe: the configured one (its port defaults to the bound port); else
 * the bind address when it is one address; else the first non-internal IPv4 of the host; else ''
 * (a loopback address would send every peer to its own responder).
 */
export function advertisedProbeAddress(
  o: { bindHost: string; port: number; advertise: string },
  nics: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  if (o.advertise) {
    if (/:\d+$/.test(o.advertise)) return formatHostPort(parseHostPort(o.advertise));
    return formatHostPort({ host: o.advertise, port: o.port });
  }
  if (o.bindHost && o.bindHost !== '0.0.0.0' && o.bindHost !== '::') return formatHostPort({ host: o.bindHost, port: o.port });
  for (const list of Object.values(nics)) {
    const v4 = list?.find((i) => i.family === 'IPv4' && !i.internal);
    if (v4) return formatHostPort({ host: v4.address, port: o.port });
  }
  return '';
}

export class UdpProbeResponder implements ProbeResponderHandle {
  private socket: Socket | null = null;
  private readonly now: () => number;
  private readonly global: TokenBucket;
  private readonly sources = new Map<string, TokenBucket>();
  private readonly counters: ProbeResponderStats = { answered: 0, malformed: 0, misaddressed: 0, limitedSource: 0, limitedGlobal: 0 };
  private boundPort = 0;

  constructor(private readonly opts: ProbeResponderOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.global = new TokenBucket(opts.globalRate ?? 500, opts.globalBurst ?? 500, this.now());
  }

  get stats(): ProbeResponderStats {
    return { ...this.counters };
  }

  /** The port it listens on (after start). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<string> {
    if (this.socket) throw new Error('the probe responder is already running');
    const host = this.opts.bindHost || '0.0.0.0';
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            e.code === 'EADDRINUSE'
              ? `probe responder: UDP port ${this.opts.port} on ${host} is taken; set probePort to a free port (and open it in the firewall)`
              : `probe responder cannot listen on ${host}:${this.opts.port} (${e.message}); check probeBindHost`,
          ),
        ),
      );
      socket.bind(this.opts.port, host, () => resolve());
    });
    socket.removeAllListeners('error');
    // A send error (e.g. an ICMP unreachable for one source) must not stop the responder.
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.unref();
    this.socket = socket;
    this.boundPort = socket.address().port;
    return advertisedProbeAddress({ bindHost: host, port: this.boundPort, advertise: this.opts.advertise });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onDatagram(msg: Buffer, from: RemoteInfo): void {
    const d = decodeProbeDatagram(msg);
    if (!d || d.type !== 'request') {
      this.counters.malformed++;
      return;
    }
    if (d.nodeId !== '' && d.nodeId !== this.opts.nodeId) {
      this.counters.misaddressed++;
      return;
    }
    const now = this.now();
    if (!this.sourceBucket(from.address, now).take(now)) {
      this.counters.limitedSource++;
      return;
    }
    if (!this.global.take(now)) {
      this.counters.limitedGlobal++;
      return;
    }
    this.counters.answered++;
    this.socket?.send(encodeProbeDatagram({ type: 'reply', nonce: d.nonce, nodeId: this.opts.nodeId }), from.port, from.address);
  }

  /** Least-recently-seen sources are forgotten first, so spoofed floods cannot grow the map. */
  private sourceBucket(address: string, now: number): TokenBucket {
    let b = this.sources.get(address);
    if (b) this.sources.delete(address);
    else {
      b = new TokenBucket(this.opts.perSourceRate ?? 20, this.opts.perSourceBurst ?? 40, now);
      if (this.sources.size >= (this.opts.maxSources ?? 4096)) this.sources.delete(this.sources.keys().next().value!);
    }
    this.sources.set(address, b);
    return b;
  }
}
