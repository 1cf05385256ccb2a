// `banyan orchestrator`: the orchestrator alone, next to a production broker or the embedded one.
import { parseArgs } from 'node:util';
import { Orchestrator } from '../orchestrator.ts';
import { dashboardPlugin } from '../dashboard/plugin.ts';
import { metricsPlugin } from '../metrics.ts';
import { authPlugin, loadApiTokens } from '../api/auth.ts';
import { DEFAULT_ORCHESTRATOR_USER } from '../creds/acl.ts';
import { federationOptions, FEDERATION_FLAGS, FEDERATION_HELP } from '../federation/config.ts';

const HELP = `banyan orchestrator — the city-level registry, placement and API

Usage: banyan orchestrator [options]
  --broker URL        MQTT broker to use (default: an embedded one)
  --mqtt-port N       first port the embedded broker tries (default 1883)
  --http-port N       API port (default 8080, or $PORT)
  --http-host H       address to bind (default 127.0.0.1)
  --topic-root R      topic root (default banyan/v1)
  --data-dir DIR      where state is kept (default .banyan/orchestrator)
  --store URL         postgres://user@host:port/db: state, ledger and the leader lease in
                      PostgreSQL (or $BANYAN_STORE_URL); several orchestrators may share it,
                      one leads, the others stand by and serve reads
  --lease-ms N        how long a leader's lease lasts unrenewed (default 10000)

Sparkplug B (SCADA/MES such as Ignition see every node as an edge node, each card as a device):
  --sparkplug GROUP         publish under spBv1.0/GROUP/… (off unless given)
  --sparkplug-broker URL    another broker for it (default: the orchestrator's)
  --sparkplug-host ID       primary host application id: births wait for its STATE online
  --sparkplug-node ID       the bridge's own edge node, whose death is its Will (default _banyan)

Security (see deploy/README.md; \`banyan creds\` writes these files):
  --api-tokens FILE         bearer tokens with roles (or $BANYAN_API_TOKENS_FILE); without
                            any the API is open, for a local demo only
  --broker-password-file F  embedded broker: accounts + the per-node ACL
  --mqtt-username NAME      the orchestrator's own MQTT account (default banyan-orchestrator)
  --mqtt-password-file F    its password (mode 0600)
  --mqtt-ca FILE --mqtt-cert FILE --mqtt-key FILE   TLS for mqtts:// brokers
  -h, --help                this text

${FEDERATION_HELP}

Environment (flags win): BANYAN_BROKER_URL, BANYAN_API_TOKENS_FILE, BANYAN_MQTT_USERNAME,
BANYAN_MQTT_PASSWORD_FILE, BANYAN_MQTT_CA_FILE, BANYAN_MQTT_CERT_FILE, BANYAN_MQTT_KEY_FILE, BANYAN_STORE_URL,
BANYAN_CITY, BANYAN_UPSTREAM_URL, BANYAN_UPSTREAM_TOKEN, BANYAN_FEDERATION_MEMBERS.`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      broker: { type: 'string' },
      'mqtt-port': { type: 'string' },
      'http-port': { type: 'string' },
      'http-host': { type: 'string' },
      'topic-root': { type: 'string' },
      'data-dir': { type: 'string' },
      store: { type: 'string' },
      'lease-ms': { type: 'string' },
      sparkplug: { type: 'string' },
      'sparkplug-broker': { type: 'string' },
      'sparkplug-host': { type: 'string' },
      'sparkplug-node': { type: 'string' },
      'api-tokens': { type: 'string' },
      'broker-password-file': { type: 'string' },
      'mqtt-username': { type: 'string' },
      'mqtt-password-file': { type: 'string' },
      'mqtt-ca': { type: 'string' },
      'mqtt-cert': { type: 'string' },
      'mqtt-key': { type: 'string' },
      ...FEDERATION_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const env = process.env;
  const sparkplugOnly = ['sparkplug-broker', 'sparkplug-host', 'sparkplug-node'].filter((k) => values[k as keyof typeof values] !== undefined);
  if (!values.sparkplug && sparkplugOnly.length) {
    console.error(`--${sparkplugOnly[0]} needs --sparkplug GROUP (the Sparkplug group id to publish under)`);
    return 2;
  }
  const leaseMs = values['lease-ms'] === undefined ? undefined : Number(values['lease-ms']);
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 500)) {
    console.error(`--lease-ms must be a whole number of milliseconds, at least 500 (got ${values['lease-ms']})`);
    return 2;
  }
  const tokens = loadApiTokens({ file: values['api-tokens'], env });
  const federation = federationOptions(values, env, tokens);
  if (typeof federation === 'string') {
    console.error(federation);
    return 2;
  }
  const passwordFile = values['mqtt-password-file'] ?? env.BANYAN_MQTT_PASSWORD_FILE;
  const accounts = Boolean(values['broker-password-file'] || passwordFile);
  const o = await Orchestrator.start({
    brokerUrl: values.broker ?? env.BANYAN_BROKER_URL,
    mqttPort: Number(values['mqtt-port'] ?? 1883),
    httpPort: Number(values['http-port'] ?? process.env.PORT ?? 8080),
    httpHost: values['http-host'],
    topicRoot: values['topic-root'],
    dataDir: values['data-dir'] ?? '.banyan/orchestrator',
    storeUrl: values.store ?? (env.BANYAN_STORE_URL || undefined),
    leaseMs,
    brokerPasswordFile: values['broker-password-file'],
    orchestratorUser: values['mqtt-username'],
    mqttSecurity: {
      username: values['mqtt-username'] ?? env.BANYAN_MQTT_USERNAME ?? (accounts ? DEFAULT_ORCHESTRATOR_USER : undefined),
      passwordFile,
      caFile: values['mqtt-ca'] ?? env.BANYAN_MQTT_CA_FILE,
      certFile: values['mqtt-cert'] ?? env.BANYAN_MQTT_CERT_FILE,
      keyFile: values['mqtt-key'] ?? env.BANYAN_MQTT_KEY_FILE,
    },
    sparkplug: values.sparkplug
      ? { group: values.sparkplug, brokerUrl: values['sparkplug-broker'], primaryHostId: values['sparkplug-host'], bridgeNodeId: values['sparkplug-node'] }
      : undefined,
    // Federation before auth: a member token on an operator route is told why it is refused.
    plugins: [...(federation ? [federation] : []), (app, orch) => authPlugin(app, { tokens, log: orch.log }), dashboardPlugin, metricsPlugin],
  });
  console.log(`orchestrator: API ${o.httpUrl}  broker ${o.mqttUrl}  id ${o.id}  role ${o.leads() ? 'leader' : 'standby'}`);
  if (o.sparkplug) console.log(`sparkplug: group ${o.sparkplug.group} (spBv1.0/${o.sparkplug.group}/…), bridge node ${o.sparkplug.bridgeNodeId}`);
  return new Promise<number>((resolve) => {
    const stop = async () => {
      await o.stop();
      resolve(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
