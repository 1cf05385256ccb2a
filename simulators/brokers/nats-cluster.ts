// A private NATS cluster with JetStream and the MQTT listener on every node, on loopback ports of
// its own (never the machine's 4222), with its config and JetStream store in a temp dir.
// NATS speaks MQTT 3.1.1 only and keeps MQTT sessions and retained messages in JetStream streams,
// which a cluster replicates (R3 on three nodes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerChild, findBinary, until } from './child.ts';
import { mqttRoundTrip } from './mqtt-probe.ts';
import { canConnect, freePorts } from './ports.ts';

export const NATS_SERVER = 'nats-server';
/** Where to look besides PATH (Debian's nats-server package installs to /usr/sbin). */
export const natsServerBinary = (): string | null => findBinary(NATS_SERVER, 'BANYAN_NATS_SERVER', ['/usr/sbin/nats-server']);

export interface NatsClusterOptions {
  nodes?: number;
  /** Bound on all nodes listening, forming the cluster and carrying MQTT between them. */
  startTimeoutMs?: number;
  /** Extra lines inside the `mqtt { }` block, e.g. `consumer_replicas: 1`. */
  mqtt?: string[];
}

export class NatsCluster {
  private constructor(
    /** One MQTT URL per node; a client may use any of them. */
    readonly mqttUrls: string[],
    readonly version: string,
    private readonly children: BrokerChild[],
    private readonly dir: string,
  ) {}

  static async start(o: NatsClusterOptions = {}): Promise<NatsCluster> {
    const bin = natsServerBinary();
    if (!bin) throw new Error(`${NATS_SERVER} not found (PATH, /usr/sbin, BANYAN_NATS_SERVER): apt-get install nats-server`);
    const n = o.nodes ?? 3;
    const ports = await freePorts(3 * n);
    const client = ports.slice(0, n);
    const route = ports.slice(n, 2 * n);
    const mqtt = ports.slice(2 * n);
    const dir = mkdtempSync(join(tmpdir(), 'banyan-nats-'));
    const routes = route.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
    const children: BrokerChild[] = [];
    const cluster = new NatsCluster(mqtt.map((p) => `mqtt://127.0.0.1:${p}`), natsVersion(bin), children, dir);
    try {
      for (let i = 0; i < n; i++) {
        const conf = join(dir, `n${i + 1}.conf`);
        writeFileSync(
          conf,
          [
            `server_name: banyan-n${i + 1}`,
            `listen: 127.0.0.1:${client[i]}`,
            `jetstream { store_dir: "${join(dir, `js${i + 1}`)}", max_memory_store: 256MB, max_file_store: 4GB }`,
            `cluster { name: banyan-test, listen: 127.0.0.1:${route[i]}, routes: [${routes}] }`,
            `mqtt { listen: 127.0.0.1:${mqtt[i]}${(o.mqtt ?? []).map((l) => `, ${l}`).join('')} }`,
            // A 10k-agent fleet connects at once; MQTT clients count against max_connections.
            'max_connections: 100000',
            '',
          ].join('\n'),
        );
        children.push(new BrokerChild(`nats-server n${i + 1}`, bin, ['-c', conf]));
      }
      const timeout = o.startTimeoutMs ?? 30_000;
      const t0 = Date.now();
      await until(`the ${n} NATS nodes listening for MQTT`, async () => (await Promise.all(mqtt.map((p) => canConnect(p)))).every(Boolean), timeout, children);
      // First node to last: a message crosses the cluster, through JetStream-backed QoS 1.
      await until('MQTT QoS 1 across the NATS cluster', () => mqttRoundTrip(cluster.mqttUrls[0]!, cluster.mqttUrls[n - 1]!), Math.max(1000, timeout - (Date.now() - t0)), children);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** "2.9.10" from `nats-server --version` ("nats-server: v2.9.10"). */
function natsVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return /v?(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim();
}

/** Whether this NATS maps "." in MQTT topics (to "//"); before 2.10 a "." closes the connection. */
export function natsTakesDotsInTopics(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}
