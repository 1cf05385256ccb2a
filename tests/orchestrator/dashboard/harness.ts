// A real orchestrator (embedded broker, loopback, in-memory state) with the operator plugins and a
// small simulated fleet of real agents: what the dashboard, metrics and CLI tests run against.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import { Fleet } from '../../../simulators/fleet/fleet.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { SITES } from '../../../simulators/fleet/geography.ts';
import { CatalogAcceleratorSource } from '../../../simulators/fleet/sim-accelerators.ts';
import { loadCatalog } from '../../../agent/catalog/catalog.ts';
import { quietLog } from '../../helpers/quiet-log.ts';
import { waitFor } from '../../helpers/wait.ts';

export const SCENARIO = validateScenario({
  name: 'operator-surfaces',
  seed: 11,
  nodes: 4,
  telemetryIntervalMs: 500,
  mix: [
    { vendor: 'huawei', model: 'Ascend 910B', count: 8, weight: 2 },
    { vendor: 'nvidia', model: 'NVIDIA L20', count: 2, weight: 1 },
    { vendor: 'hygon', model: 'K100_AI', count: 4, weight: 1 },
  ],
});

type Plugin = (app: FastifyInstance, o: Orchestrator) => void | Promise<void>;

/** A workload spec a simulated agent can run: close to the given site, one accelerator. */
export function demoSpec(name: string, site: string, over: Record<string, unknown> = {}) {
  return {
    name,
    tenant: 'ops',
    class: 'industrial-control',
    needs: { accelerators: 1 },
    latency: { to: { site }, maxRttMs: 50 },
    run: { runner: 'simulated', durationMs: 600_000 },
    ...over,
  };
}

export interface Harness {
  orch: Orchestrator;
  fleet: Fleet;
  stop(): Promise<void>;
}

export async function startHarness(plugins: Plugin[], nodes = SCENARIO.nodes): Promise<Harness> {
  const run = randomUUID().slice(0, 6);
  const orch = await Orchestrator.start({
    mqttPort: 0,
    httpPort: 0,
    dataDir: null,
    log: quietLog,
    sweepMs: 200,
    // A placed workload stays put while a test looks at it, acked or not.
    ackTimeoutMs: 60_000,
    plugins,
    // As npm start does: SLOs may name any of the city's sites.
    places: SITES.map((s) => ({ kind: s.landmark ? 'landmark' : 'site', id: s.id, lat: s.lat, lon: s.lon })),
  });
  const catalog = await loadCatalog();
  const fleet = new Fleet({
    brokerUrl: orch.mqttUrl,
    topicRoot: orch.topicRoot,
    scenario: SCENARIO,
    nodes,
    nodePrefix: `op${run}-`,
    accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
    log: quietLog,
  });
  await fleet.start();
  await waitFor(`${nodes} nodes online`, () => [...orch.registry.all()].filter((n) => n.status === 'online').length === nodes);
  return {
    orch,
    fleet,
    async stop() {
      await fleet.stop();
      await orch.stop();
    },
  };
}
