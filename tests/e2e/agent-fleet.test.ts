// The simulated fleet's agents report derived (labelled simulated) benchmarks and network-model
// RTTs through the same message path as a real agent, and they reach the orchestrator's API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import type { Fleet } from '../../simulators/fleet/fleet.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { LANDMARKS } from '../../orchestrator/geo/city.ts';
import { validateScenario } from '../../simulators/fleet/scenario.ts';
import { SIM_EFFICIENCY } from '../../simulators/fleet/sim-bench.ts';
import { waitFor } from '../helpers/wait.ts';

const scenario = validateScenario({
  name: 'agent-fleet',
  seed: 11,
  nodes: 3,
  telemetryIntervalMs: 1000,
  mix: [
    { vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 },
    { vendor: 'nvidia', model: 'NVIDIA L20', count: 1, weight: 1 },
  ],
});

interface NodeJson {
  id: string;
  accelerators: { vendor: string; nominal: { tflops: number }; measured: { tflops: number; basis: string; kind: string; source: string; ratioToNominal: number; backend: string } | null }[];
  latency: { targets: { target: string; targetKind: string; p50Ms: number; received: number }[] } | null;
}

describe('simulated fleet bench and latency', () => {
  let orch: Orchestrator;
  let fleet: Fleet;
  let t: TestFleet;

  beforeAll(async () => {
    t = await startTestFleet({ scenario, orchestrator: { sweepMs: 1000 } });
    ({ orch, fleet } = t);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('every node shows simulated measured figures and RTTs to every landmark and the orchestrator', async () => {
    for (const spec of fleet.specs) {
      const node = await waitFor(`${spec.id} bench + latency`, async () => {
        const n = (await (await fetch(`${orch.httpUrl}/v1/nodes/${spec.id}`)).json()) as NodeJson;
        return n.latency && n.accelerators.length > 0 && n.accelerators.every((a) => a.measured) && n;
      }, 15_000);
      for (const a of node.accelerators) {
        const eff = SIM_EFFICIENCY[a.vendor as keyof typeof SIM_EFFICIENCY];
        expect(a.measured).toMatchObject({ basis: 'fp16', kind: 'measured', backend: 'simulated', source: `simulated: ${eff} × nominal` });
        // Seeded noise of σ 2 %: within 10 % of the vendor's efficiency.
        expect(a.measured!.ratioToNominal).toBeGreaterThan(eff * 0.9);
        expect(a.measured!.ratioToNominal).toBeLessThan(eff * 1.1);
        expect(a.measured!.tflops).toBeCloseTo(a.nominal.tflops * a.measured!.ratioToNominal, 1);
      }
      const names = node.latency!.targets.map((t) => t.target).sort();
      expect(names).toEqual([...LANDMARKS.map((l) => l.id), 'orchestrator'].sort());
      for (const t of node.latency!.targets) {
        expect(t.received).toBeGreaterThan(0);
        // Inside one city: well under 10 ms, above the access latency of two ends.
        expect(t.p50Ms).toBeGreaterThan(0.1);
        expect(t.p50Ms).toBeLessThan(10);
      }
    }
  }, 30_000);
});
