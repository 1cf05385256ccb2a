// The embedded MQTT broker (aedes) for single-machine runs and tests. Production fleets point
// agents and the orchestrator at a real broker instead; nothing else changes.
import { createServer, type Server, type AddressInfo } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { MAX_PACKET_BYTES } from '../protocol/codec.ts';
import { guardPacketSize, PacketTooLargeError } from './broker-packet-guard.ts';
import type { BrokerRefusal, BrokerRefusalReason } from './broker-refusals.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** The broker itself, for hooks and counters. */
  aedes: Aedes;
  close(): Promise<void>;
}

export interface BrokerOptions {
  host?: string;
  /** The port to try first; when taken, the next free ones are tried (up to 50). 0 = any. */
  port?: number;
  log?: Logger;
  /**
   * Rejects a publish before it is routed; returns a reason to refuse, null to allow. `identity`
   * is the client id, or the authenticated username when `auth` is set.
   */
  authorizePublish?: (identity: string, topic: string) => string | null;
  /** Username/password accounts and their ACL; without it any client connects (local demo, tests). */
  auth?: BrokerAuth;
  /** Whether a retained publish may be kept on this topic; without it any topic may be retained. */
  mayRetain?: (topic: string) => boolean;
  /** Packets above this many bytes close the connection (default: the protocol's MAX_PACKET_BYTES). */
  maxPacketBytes?: number;
  /** Told of every refusal (login, ACL, identity, retain, packet size, protocol errors). */
  onRefusal?: (r: BrokerRefusal) => void;
}

/** Who may connect, and what each account may publish and subscribe to. */
export interface BrokerAuth {
  authenticate(username: string, password: Buffer): boolean;
  mayPublish(username: string, topic: string): boolean;
  maySubscribe(username: string, filter: string): boolean;
}

const BAD_USERNAME_OR_PASSWORD = 4;

/** An error the broker hands aedes after counting the refusal itself (so clientError skips it). */
class RefusedError extends Error {}

export async function startEmbeddedBroker(opts: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const auth = opts.auth;
  const maxPacketBytes = opts.maxPacketBytes ?? MAX_PACKET_BYTES;
  // Identity is the username the account proved, never the client id a client chose for itself.
  const usernames = new WeakMap<Client, string>();
  const identityOf = (client: Client): string | undefined => (auth ? usernames.get(client) : client.id);
  const refuse = (reason: BrokerRefusalReason, client: Client | null, topic: string, detail: string): RefusedError => {
    opts.onRefusal?.({ reason, clientId: client?.id ?? '', username: client ? usernames.get(client) : undefined, topic, detail });
    return new RefusedError(detail);
  };
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (!auth) return done(null, true);
      if (username && password && auth.authenticate(username, password)) {
        usernames.set(client, username);
        return done(null, true);
      }
      opts.log?.warn({ clientId: client.id, username }, 'MQTT login refused: unknown account or wrong password');
      refuse('bad_login', client, '', `login refused for account "${username ?? ''}"`);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = BAD_USERNAME_OR_PASSWORD;
      done(err, false);
    },
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null);
      const topic = packet.topic;
      const identity = identityOf(client);
      if (identity === undefined) return done(refuse('not_authenticated', client, topic, 'publish before login'));
      if (auth && !auth.mayPublish(identity, topic)) {
        return done(refuse('acl_publish', client, topic, `${identity} may not publish on ${topic}`));
      }
      const refusal = opts.authorizePublish ? opts.authorizePublish(identity, topic) : null;
      if (refusal) return done(refuse('identity_mismatch', client, topic, refusal));
      if (packet.retain && opts.mayRetain && !opts.mayRetain(topic)) {
        return done(refuse('retain_not_allowed', client, topic, `${topic} is not a topic the protocol retains`));
      }
      done(null);
    },
    authorizeSubscribe: (client, sub, done) => {
      const identity = identityOf(client);
      if (!auth) return done(null, sub);
      if (identity !== undefined && auth.maySubscribe(identity, sub.topic)) return done(null, sub);
      refuse(identity === undefined ? 'not_authenticated' : 'acl_subscribe', client, sub.topic, `${identity ?? client.id} may not subscribe to ${sub.topic}`);
      // A null subscription is refused in the SUBACK (0x80) without dropping the connection.
      done(null, null);
    },
  });
  // Errors aedes closes a connection for by itself (a wildcard in a publish topic, a malformed packet).
  aedes.on('clientError', (client, err) => {
    if (err instanceof RefusedError || err instanceof PacketTooLargeError) return;
    refuse('protocol_error', client, '', err.message);
  });
  const server = createServer((socket) => {
    const conn = guardPacketSize(socket, maxPacketBytes, (bytes) => {
      // aedes hangs its client on the stream it was handed; before CONNECT there is none.
      const client = (conn as { client?: Client }).client ?? null;
      opts.onRefusal?.({
        reason: 'packet_too_large',
        clientId: client?.id ?? `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`,
        username: client ? usernames.get(client) : undefined,
        topic: '',
        detail: `a packet of ${bytes} bytes; the maximum packet size is ${maxPacketBytes}`,
      });
    });
    aedes.handle(conn);
  });
  const wanted = opts.port ?? 1883;
  const port = await listenOnFreePort(server, host, wanted, opts.log);
  return {
    url: `mqtt://${host}:${port}`,
    port,
    aedes,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listenOnFreePort(server: Server, host: string, first: number, log?: Logger): Promise<number> {
  const candidates = first === 0 ? [0] : Array.from({ length: 50 }, (_, i) => first + i);
  for (const port of candidates) {
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (e: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
        else resolve(false);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve(true);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
    if (ok) {
      const actual = (server.address() as AddressInfo).port;
      if (actual !== first && first !== 0) log?.warn(`MQTT port ${first} is taken; the embedded broker uses ${actual}`);
      return actual;
    }
  }
  throw new Error(`no free MQTT port in ${first}-${first + 49} on ${host}; pass --mqtt-port`);
}
