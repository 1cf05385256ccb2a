// GET /v1/nodes/:id and /v1/fleet/summary with per-card telemetry and energy efficiency, from
// hand-made envelopes through the real ingest: partial readings come out as null (never 0), each
// card's TFLOPS/W says its basis (measured beats nominal; nominal without a benchmark; unknown
// without either), the node's and the fleet's figures are TFLOPS-weighted, and the response
// schemas let all of it through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { buildApi } from '../../../orchestrator/api/server.ts';
import { FleetSummarySchema, NodeSchema } from '../../../orchestrator/api/schemas.ts';
import { fleetSummary, nodeView, type NodeView, type FleetSummary } from '../../../orchestrator/views.ts';
import type { HostInventory } from '../../../protocol/messages.ts';
import { benchOf, birthOf, cards, handFed, type HandFed } from '../../helpers/hand-fed.ts';

const INVENTORY: HostInventory = {
  systemVendor: 'Inspur',
  systemModel: 'NF5468M6',
  systemSerial: '2311XYZ',
  cpuModel: 'Intel Xeon Gold 6330',
  cpuPhysicalCores: 56,
  cpuThreads: 112,
  cpuMaxMhz: 3100,
  memoryMib: 1_048_576,
  disks: [{ name: 'nvme0n1', model: 'SAMSUNG MZQL23T8', sizeBytes: 3_840_000_000_000, type: 'NVMe' }],
  nics: [{ name: 'eth0', mac: '52:54:00:12:34:56', speedMbps: 25_000, addresses: ['10.0.0.7'] }],
  os: 'openEuler 22.03',
  kernel: '5.10.0',
  virtualization: 'none',
  source: 'systeminformation 5.23',
  collectedAtMs: 1_790_000_000_000,
};

describe('node view: per-card telemetry and TFLOPS/W', () => {
  let fed: HandFed;
  let app: FastifyInstance;
  const get = async <T>(url: string): Promise<T> => {
    const r = await app.inject({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };

  beforeAll(() => {
    fed = handFed();
    app = buildApi({ registry: fed.registry, health: () => ({ ok: true, mqtt: true, nodes: fed.registry.size }) });
    // Ascend 910B: 280 TFLOPS FP16 nominal at 400 W TDP = 0.7 TFLOPS/W.
    const [c0, c1, c2] = cards(3, { tdpW: 400, nominalTflopsPerWatt: 0.7 });
    const unknownCard = { ...c2!, tdpW: undefined, nominalTflopsPerWatt: undefined, nominal: { ...c2!.nominal, tflops: undefined, basis: 'unknown' as const } };
    fed.send('edge-a', birthOf([c0!, c1!, unknownCard], { host: { hostname: 'edge-a', os: 'openEuler', arch: 'arm64', cpuModel: 'Kunpeng 920', cpuCores: 96, memoryMib: 524288, inventory: INVENTORY }, probeAddress: '10.0.0.7:7946' }));
    // card 0 measured at 210 TFLOPS drawing 350 W (0.6 TFLOPS/W); card 1 benchmarked by an agent
    // that did not read power, so it has no measured TFLOPS/W.
    fed.send('edge-a', { body: 'bench', bench: { results: [benchOf(0, 210, 350), benchOf(1, 230)] } });
    fed.send('edge-a', {
      body: 'telemetry',
      telemetry: {
        cpuPct: 20,
        memoryUsedPct: 35,
        load1: 3.5,
        runningWorkloads: 1,
        accelerators: [
          { index: 0, utilPct: 87.5, memoryUsedMib: 40_000, memoryTotalMib: 65_536, temperatureC: 66, powerW: 310.5, powerLimitW: 400, health: 'ok' },
          // An idle card: 0 % is a real reading; the rest its tool did not give.
          { index: 1, utilPct: 0, health: 'warning' },
        ],
        acceleratorErrors: ['npu-smi info -t power -i 2 timed out after 2 s; card 2 has no sample'],
        diskFreeMib: 120_000,
        diskTotalMib: 480_000,
      },
    });
    fed.send('edge-b', birthOf(cards(1, { tdpW: 400, nominalTflopsPerWatt: 0.7 })), { site: 'fz-gulou-dc-1' });
    fed.send('edge-b', { body: 'telemetry', telemetry: { cpuPct: 1, memoryUsedPct: 1, load1: 0, runningWorkloads: 0, accelerators: [{ index: 0, powerW: 100, health: 'ok' }], acceleratorErrors: [] } }, { site: 'fz-gulou-dc-1' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows every reading of a card, absent ones as null, and a card without a sample as null', async () => {
    const n = await get<NodeView>('/v1/nodes/edge-a');
    const [a0, a1, a2] = n.accelerators;
    expect(a0!.telemetry).toEqual({ index: 0, utilPct: 87.5, memoryUsedMib: 40_000, memoryTotalMib: 65_536, temperatureC: 66, powerW: 310.5, powerLimitW: 400, health: 'ok' });
    expect(a1!.telemetry).toEqual({ index: 1, utilPct: 0, memoryUsedMib: null, memoryTotalMib: null, temperatureC: null, powerW: null, powerLimitW: null, health: 'warning' });
    expect(a2!.telemetry).toBeNull();
    expect(n.telemetry!.accelerators).toHaveLength(2);
    expect(n.telemetry!.accelerators[1]).toEqual(a1!.telemetry);
    expect(n.telemetry!.acceleratorErrors).toEqual(['npu-smi info -t power -i 2 timed out after 2 s; card 2 has no sample']);
    expect(n.telemetry).toMatchObject({ diskFreeMib: 120_000, diskTotalMib: 480_000, netRxBytesPerS: null, netTxBytesPerS: null });
    // Only card 0 reports power: the node's sum is its reading, not padded with zeros.
    expect(n.acceleratorPowerW).toBe(310.5);
  });

  it('gives each card its TFLOPS/W: measured beats nominal, nominal without a measurement, unknown without either', async () => {
    const n = await get<NodeView>('/v1/nodes/edge-a');
    const [a0, a1, a2] = n.accelerators;
    expect(a0!.efficiency).toEqual({ tflopsPerWatt: 0.6, basis: 'measured', measuredTflopsPerWatt: 0.6, nominalTflopsPerWatt: 0.7, tflops: 210 });
    expect(a0!.measured).toMatchObject({ tflops: 210, avgPowerW: 350, tflopsPerWatt: 0.6 });
    expect(a1!.efficiency).toEqual({ tflopsPerWatt: 0.7, basis: 'nominal', measuredTflopsPerWatt: null, nominalTflopsPerWatt: 0.7, tflops: 280 });
    expect(a1!.measured).toMatchObject({ tflops: 230, avgPowerW: null, tflopsPerWatt: null });
    expect(a2!.efficiency).toEqual({ tflopsPerWatt: null, basis: 'unknown', measuredTflopsPerWatt: null, nominalTflopsPerWatt: null, tflops: null });
    expect(a0!.tdpW).toBe(400);
    expect(a2!.tdpW).toBeNull();
    expect(a2!.nominalTflopsPerWatt).toBeNull();
  });

  it("weights the node's figure by TFLOPS and states a mixed basis", async () => {
    const n = await get<NodeView>('/v1/nodes/edge-a');
    // 210 TF at 0.6 draws 350 W, 280 TF at 0.7 draws 400 W: 490 TF / 750 W, not the plain mean 0.65.
    expect(n.efficiency).toEqual({ tflopsPerWatt: 0.6533, basis: 'mixed', cards: 2, unknownCards: 1 });
    const b = await get<NodeView>('/v1/nodes/edge-b');
    expect(b.efficiency).toEqual({ tflopsPerWatt: 0.7, basis: 'nominal', cards: 1, unknownCards: 0 });
  });

  it('passes the host inventory and probe address through, null / empty where the birth has none', async () => {
    const a = await get<NodeView>('/v1/nodes/edge-a');
    expect(a.host!.inventory).toEqual(INVENTORY);
    expect(a.probeAddress).toBe('10.0.0.7:7946');
    const b = await get<NodeView>('/v1/nodes/edge-b');
    expect(b.host!.inventory).toBeNull();
    expect(b.probeAddress).toBe('');
  });

  it('matches the response schemas exactly: no field the schema drops, none it lacks', () => {
    for (const n of fed.registry.all()) {
      // Compile time: the view is what the schema promises; run time: the schema takes all of it.
      const view: Static<typeof NodeSchema> = nodeView(n);
      expect([...Value.Errors(NodeSchema, view)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
      expect(Value.Clean(NodeSchema, structuredClone(view))).toEqual(view);
    }
    const summary: Static<typeof FleetSummarySchema> = fleetSummary(fed.registry.all());
    expect([...Value.Errors(FleetSummarySchema, summary)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect(Value.Clean(FleetSummarySchema, structuredClone(summary))).toEqual(summary);
  });

  it('lists nodes with the same shape', async () => {
    const { nodes } = await get<{ nodes: NodeView[] }>('/v1/nodes');
    expect(nodes.map((n) => n.id)).toEqual(['edge-a', 'edge-b']);
    expect(nodes[0]!.accelerators[1]!.telemetry!.powerW).toBeNull();
  });

  it("sums the fleet's power over online nodes only, with its TFLOPS/W", async () => {
    const s = await get<FleetSummary>('/v1/fleet/summary');
    expect(s.energy.powerW).toBe(410.5);
    expect(s.energy.cardsReportingPower).toBe(2);
    // 210 TF / 350 W + 280 TF / 400 W + 280 TF / 400 W.
    expect(s.energy.efficiency).toEqual({ tflopsPerWatt: Math.round((770 / 1150) * 10_000) / 10_000, basis: 'mixed', cards: 3, unknownCards: 1 });
    fed.send('edge-b', { body: 'state', state: { status: 'OFFLINE' } }, { site: 'fz-gulou-dc-1' });
    const after = await get<FleetSummary>('/v1/fleet/summary');
    expect(after.energy.powerW).toBe(310.5);
    expect(after.energy.cardsReportingPower).toBe(1);
  });
});
