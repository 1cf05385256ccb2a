// An orchestrator (embedded broker unless a broker URL is given) with a simulated fleet on it,
// accelerators from the real catalogue: what most end-to-end tests start from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadCatalog } from '../../agent/catalog/catalog.ts';
import { Orchestrator, type OrchestratorOptions } from '../../orchestrator/orchestrator.ts';
import { Fleet, type FleetOptions } from '../../simulators/fleet/fleet.ts';
import type { Scenario } from '../../simulators/fleet/scenario.ts';
import { CatalogAcceleratorSource } from '../../simulators/fleet/sim-accelerators.ts';
import { quietLog } from './quiet-log.ts';

export interface TestFleet {
  orch: Orchestrator;
  fleet: Fleet;
  root: string;
  stop(): Promise<void>;
}

export interface TestFleetOptions {
  scenario: Scenario;
  /** An external broker (e.g. the machine's Mosquitto); default: the orchestrator's embedded one. */
  brokerUrl?: string;
  orchestrator?: Partial<OrchestratorOptions>;
  fleet?: Partial<FleetOptions>;
}

export async function startTestFleet(o: TestFleetOptions): Promise<TestFleet> {
  const run = randomUUID().slice(0, 8);
  // Own topic root and node ids per run, so runs sharing a broker never meet.
  const root = o.orchestrator?.topicRoot ?? `test-${run}/banyan/v1`;
  const stateRoot = mkdtempSync(join(tmpdir(), 'banyan-fleet-'));
  const orch = await Orchestrator.start({ brokerUrl: o.brokerUrl, mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, sweepMs: 200, ...o.orchestrator, topicRoot: root });
  const catalog = await loadCatalog();
  const fleet = new Fleet({
    brokerUrl: orch.mqttUrl,
    topicRoot: root,
    scenario: o.scenario,
    nodePrefix: `t${run}-`,
    stateRoot,
    accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
    log: quietLog,
    ...o.fleet,
  });
  await fleet.start();
  return {
    orch,
    fleet,
    root,
    async stop() {
      await fleet.stop();
      await orch.stop();
      rmSync(stateRoot, { recursive: true, force: true });
    },
  };
}
