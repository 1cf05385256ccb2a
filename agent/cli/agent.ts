// `banyan agent`: the long-running agent a site engineer installs (systemd runs this).
import { parseArgs } from 'node:util';
import { ConfigError, loadAgentConfig } from '../config.ts';
import { createNodeAgent } from '../create.ts';

const HELP = `banyan agent — report this machine to the orchestrator and run what it pins here

Usage: banyan agent [--config FILE] [options]

Settings come from defaults, then FILE (YAML or JSON; default $BANYAN_CONFIG), then BANYAN_*
environment variables, then these flags:
  --config FILE             configuration file
  --node-id ID              this node's id (default: the hostname)
  --site ID                 the site it stands at, e.g. fz-mawei-plant-3
  --broker URL              MQTT broker, e.g. mqtts://broker.example:8883 (default mqtt://127.0.0.1:1883)
  --lat N --lon N           where the site is (WGS-84)
  --district NAME           the district
  --site-kind KIND          factory | substation | trading-venue | gaming-pop | data-centre
  --telemetry-interval MS   how often to report load (default 5000)
  --state-dir DIR           where workload state, the outbox and the bench cache live
  --probe-interval MS       how often to probe the landmarks and the broker (default 30000)
  --probe-port N            UDP port of the peer-probe responder (default 7947; open it to peers)
  --probe-bind HOST         where the responder listens (default 0.0.0.0)
  --probe-advertise H[:P]   address peers probe it at (default: a non-loopback IPv4 of this host)
  --bench-budget MS         start-up benchmark budget; 0 turns benchmarks off (default 10000)
  --outbox-max-bytes N      bound of the offline outbox (default 16777216)
  --catalog FILE            site catalogue override (same shape as agent/catalog/accelerators.json)
  --tool-timeout MS         per vendor-tool call during detection (default 3000)
  -h, --help                this text

In FILE only: landmarks: [{ name, host, port }] (TCP-probed every probe interval, probeCount
samples each, probeTimeoutMs per sample), fp16Factors: { int8: 0.5, fp32: 2, ... } (FP16-eq
conversion overrides), labels, location. README.md, "Agent configuration reference", lists all.`;

const FLAG_PATHS: Record<string, string> = {
  'node-id': 'nodeId',
  site: 'site',
  broker: 'brokerUrl',
  lat: 'location.lat',
  lon: 'location.lon',
  district: 'location.district',
  'site-kind': 'location.siteKind',
  'telemetry-interval': 'telemetryIntervalMs',
  'state-dir': 'stateDir',
  'probe-interval': 'probeIntervalMs',
  'probe-port': 'probePort',
  'probe-bind': 'probeBindHost',
  'probe-advertise': 'probeAdvertise',
  'bench-budget': 'benchBudgetMs',
  'outbox-max-bytes': 'outboxMaxBytes',
  catalog: 'catalogOverridePath',
  'tool-timeout': 'toolTimeoutMs',
};

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.keys(FLAG_PATHS).map((k) => [k, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const flags: Record<string, string> = {};
  for (const [flag, path] of Object.entries(FLAG_PATHS)) {
    const v = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof v === 'string') flags[path] = v;
  }
  let config;
  try {
    config = loadAgentConfig({ file: values.config, env: process.env, flags });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`banyan agent: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const agent = createNodeAgent(config);
  await agent.start();
  agent.log.info({ node: config.nodeId, site: config.site, broker: config.brokerUrl }, 'agent started');
  // The agent's timers are unref'd (they must not keep tests and embedders alive); while the
  // broker is unreachable nothing else holds the event loop, so the command holds it itself.
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise<number>((resolve) => {
    const stop = async () => {
      await agent.stop();
      clearInterval(keepAlive);
      resolve(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
