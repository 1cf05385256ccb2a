// A real orchestrator (embedded broker, loopback, in-memory state) with the operator plugins and a
// small simulated fleet of real agents: what the dashboard, metrics and CLI tests run against.
import type { FastifyInstance } from 'fastify';
import type { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import type { Fleet } from '../../../simulators/fleet/fleet.ts';
import { startTestFleet } from '../../helpers/fleet.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { KNOWN_PLACES } from '../../../orchestrator/geo/city.ts';
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
  const t = await startTestFleet({
    scenario: SCENARIO,
    orchestrator: {
      // A placed workload stays put while a test looks at it, acked or not.
      ackTimeoutMs: 60_000,
      plugins,
      // As npm start does: SLOs may name any of the city's sites.
      places: [...KNOWN_PLACES],
    },
    fleet: { nodes },
  });
  await waitFor(`${nodes} nodes online`, () => [...t.orch.registry.all()].filter((n) => n.status === 'online').length === nodes);
  return t;
}
