// npm start: the whole system on one machine — orchestrator with an embedded MQTT broker, a real
// agent for this machine, and a simulated fleet over Fuzhou's districts. Ctrl-C stops it all.
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { cliLogger } from './cli-log.ts';
import { Orchestrator } from './orchestrator/orchestrator.ts';
import { authPlugin, loadApiTokens } from './orchestrator/api/auth.ts';
import { Agent } from './agent/agent.ts';
import { loadAgentConfig } from './agent/config.ts';
import { createNodeAgent } from './agent/create.ts';
import { loadCatalog } from './agent/catalog/catalog.ts';
import { Fleet } from './simulators/fleet/fleet.ts';
import { DEMO_SCENARIO_PATH, loadScenario } from './simulators/fleet/scenario.ts';
import { CatalogAcceleratorSource } from './simulators/fleet/sim-accelerators.ts';
import { KNOWN_PLACES } from './orchestrator/geo/city.ts';
import { dashboardPlugin } from './orchestrator/dashboard/plugin.ts';
import { metricsPlugin } from './orchestrator/metrics.ts';

const HELP = `banyan start — orchestrator + embedded MQTT broker + this machine's agent + a simulated fleet

Usage: npm start [-- options]      (same as: npx banyan start [options])

Options:
  --http-port N      HTTP port for the API and dashboard (default 8080, or $PORT; 0 = any free)
  --http-host H      address to bind HTTP (default 127.0.0.1)
  --mqtt-port N      first port the embedded broker tries (default 1883; the next free one is used
                     when it is taken, and printed)
  --broker URL       use this MQTT broker instead of the embedded one
  --nodes N          simulated nodes (default 24, from the scenario)
  --scenario FILE    fleet scenario, YAML or JSON (default: Fuzhou demo, 24 nodes)
  --no-fleet         do not start the simulated fleet
  --no-agent         do not start an agent for this machine
  --data-dir DIR     where the orchestrator keeps its state (default .banyan/orchestrator)
  --json             print the start-up summary as one JSON line
  -h, --help         this text

Environment: LOG_LEVEL (info), PORT.`;

export async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'http-port': { type: 'string' },
      'http-host': { type: 'string' },
      'mqtt-port': { type: 'string' },
      broker: { type: 'string' },
      nodes: { type: 'string' },
      scenario: { type: 'string' },
      'no-fleet': { type: 'boolean' },
      'no-agent': { type: 'boolean' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const log = cliLogger('banyan');
  const httpPort = intOpt('--http-port', values['http-port'] ?? process.env.PORT ?? '8080');
  const orchestrator = await Orchestrator.start({
    brokerUrl: values.broker,
    mqttPort: intOpt('--mqtt-port', values['mqtt-port'] ?? '1883'),
    httpPort,
    httpHost: values['http-host'],
    dataDir: values['data-dir'] ?? '.banyan/orchestrator',
    log: log.child({ part: 'orchestrator' }),
    // Tokens from $BANYAN_API_TOKENS_FILE when set; otherwise the local demo's API stays open.
    plugins: [(app, o) => authPlugin(app, { tokens: loadApiTokens({ env: process.env }), log: o.log }), dashboardPlugin, metricsPlugin],
    // The demo city's named sites, so an SLO can point at a site before a node reports from it.
    places: [...KNOWN_PLACES],
  });
  const stops: (() => Promise<void>)[] = [() => orchestrator.stop()];

  let agent: Agent | null = null;
  if (!values['no-agent']) {
    const node = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'local';
    const config = loadAgentConfig({ env: process.env, flags: { nodeId: node, site: 'local', brokerUrl: orchestrator.mqttUrl } });
    agent = createNodeAgent(config, log.child({ part: 'agent' }));
    await agent.start();
    stops.unshift(() => agent!.stop());
  }

  let fleet: Fleet | null = null;
  if (!values['no-fleet']) {
    const scenario = loadScenario(values.scenario ?? DEMO_SCENARIO_PATH);
    const catalog = await loadCatalog();
    fleet = new Fleet({
      brokerUrl: orchestrator.mqttUrl,
      topicRoot: orchestrator.topicRoot,
      scenario,
      nodes: values.nodes ? intOpt('--nodes', values.nodes) : scenario.nodes,
      accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
      // 24 simulated nodes would drown the real one's log at info: warnings only, unless asked.
      log: log.child({ part: 'sim' }, { level: process.env.LOG_LEVEL ?? 'warn' }),
    });
    await fleet.start();
    stops.unshift(() => fleet!.stop());
  }

  const summary = {
    dashboard: `${orchestrator.httpUrl}/`,
    api: `${orchestrator.httpUrl}/v1/nodes`,
    broker: orchestrator.mqttUrl,
    localAgent: agent?.config.nodeId ?? null,
    simulatedNodes: fleet?.specs.length ?? 0,
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`Banyan is running.
  dashboard  ${summary.dashboard}
  API        ${summary.api}   (fleet: ${orchestrator.httpUrl}/v1/fleet/summary)
  broker     ${summary.broker}${orchestrator.mqttUrl.endsWith(':1883') ? '' : '   (1883 was taken)'}
  nodes      ${agent ? '1 local agent' : 'no local agent'} + ${summary.simulatedNodes} simulated
Press Ctrl-C to stop.`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    for (const stop of stops) await stop().catch((e: Error) => log.error({ err: e.message }, 'error while stopping'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function intOpt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 10) {
    console.error(`banyan: ${name} must be a whole number, got "${v}"`);
    process.exit(2);
  }
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start(process.argv.slice(2)).catch((e: Error) => {
    console.error(`banyan: ${e.message}`);
    process.exit(1);
  });
}
