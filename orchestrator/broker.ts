// The embedded MQTT broker (aedes) for single-machine runs and tests. Production fleets point
// agents and the orchestrator at a real broker instead; nothing else changes.
import { createServer, type Server, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

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
  /** Rejects a publish before it is routed; returns a reason to refuse, null to allow. */
  authorizePublish?: (clientId: string, topic: string) => string | null;
}

export async function startEmbeddedBroker(opts: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker({
    authorizePublish: (client, packet, done) => {
      const refusal = client && opts.authorizePublish ? opts.authorizePublish(client.id, packet.topic) : null;
      done(refusal ? new Error(refusal) : null);
    },
  });
  const server = createServer(aedes.handle);
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
