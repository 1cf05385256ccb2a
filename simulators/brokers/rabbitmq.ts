// A private RabbitMQ node with the MQTT plugin, beside (never touching) the machine's own RabbitMQ:
// its own node name, AMQP, distribution and MQTT ports, its own epmd on a private port, and its
// config, enabled-plugins file, Mnesia and logs in a temp dir. HOME points there too, so the
// Erlang cookie it writes is its own.
// RabbitMQ 3.10's MQTT plugin speaks 3.1 and 3.1.1 (5.0 came in 3.13), grants QoS 2 as 1, and sends
// retained messages only to subscriptions without wildcards (rabbitmq-server#8824).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerChild, findBinary, until } from './child.ts';
import { mqttRoundTrip } from './mqtt-probe.ts';
import { canConnect, freePorts } from './ports.ts';

/** The server script itself, not /usr/sbin's wrapper, which would switch to the rabbitmq user. */
export const rabbitmqServerBinary = (): string | null => findBinary('rabbitmq-server', 'BANYAN_RABBITMQ_SERVER', ['/usr/lib/rabbitmq/bin/rabbitmq-server']);
export const epmdBinary = (): string | null => findBinary('epmd', 'BANYAN_EPMD', ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd']);

export interface RabbitMqOptions {
  /** Bound on the node booting with its MQTT listener up; a cold boot takes ~12 s on two cores. */
  startTimeoutMs?: number;
}

export class PrivateRabbitMq {
  private constructor(
    readonly mqttUrl: string,
    private readonly children: BrokerChild[],
    private readonly dir: string,
  ) {}

  static async start(o: RabbitMqOptions = {}): Promise<PrivateRabbitMq> {
    const server = rabbitmqServerBinary();
    const epmd = epmdBinary();
    if (!server || !epmd) throw new Error('rabbitmq-server or epmd not found: apt-get install rabbitmq-server (it brings Erlang and epmd)');
    const [amqp, dist, epmdPort, mqtt] = (await freePorts(4)) as [number, number, number, number];
    const dir = mkdtempSync(join(tmpdir(), 'banyan-rabbitmq-'));
    for (const d of ['home', 'mnesia', 'log']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'rabbitmq.conf'), [`listeners.tcp.default = 127.0.0.1:${amqp}`, `mqtt.listeners.tcp.default = 127.0.0.1:${mqtt}`, 'mqtt.allow_anonymous = true', ''].join('\n'));
    writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
    // An empty env file, so /etc/rabbitmq/rabbitmq-env.conf (node name, epmd) is not read.
    writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
    const node = `banyan-${process.pid}-${mqtt}@localhost`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: join(dir, 'home'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(amqp),
      RABBITMQ_DIST_PORT: String(dist),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
    const children: BrokerChild[] = [];
    const r = new PrivateRabbitMq(`mqtt://127.0.0.1:${mqtt}`, children, dir);
    try {
      const timeout = o.startTimeoutMs ?? 45_000;
      // Our own epmd in the foreground, so it ends with the node instead of lingering as a daemon.
      children.push(new BrokerChild('epmd', epmd, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env }));
      await until('epmd listening', () => canConnect(epmdPort), 5000, children);
      children.push(new BrokerChild(`rabbitmq ${node}`, server, [], { env, cwd: dir }));
      await until(`RabbitMQ node ${node} with its MQTT listener`, () => mqttRoundTrip(r.mqttUrl, r.mqttUrl), timeout, children);
      return r;
    } catch (e) {
      await r.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    // The node first (it deregisters from epmd), then epmd.
    for (const c of [...this.children].reverse()) await c.stop(10_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
