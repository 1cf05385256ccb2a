// Per-card series of /metrics from hand-made envelopes through the real ingest: DCGM-exporter-like
// labels, no series for a reading the tool does not give, TFLOPS/W with its basis, health codes,
// and no stale series once a node goes offline or is re-born with fewer or other cards.
import { describe, expect, it } from 'vitest';
import { HEALTH_CODE, renderAcceleratorMetrics } from '../../orchestrator/accelerator-metrics.ts';
import type { Telemetry } from '../../protocol/messages.ts';
import { parseExposition, value, type Sample } from '../helpers/exposition.ts';
import { benchOf, birthOf, cards, handFed } from '../helpers/hand-fed.ts';

const READINGS = [
  'banyan_accelerator_utilization_percent',
  'banyan_accelerator_memory_used_bytes',
  'banyan_accelerator_memory_total_bytes',
  'banyan_accelerator_temperature_celsius',
  'banyan_accelerator_power_watts',
  'banyan_accelerator_power_limit_watts',
  'banyan_accelerator_health',
];

function telemetry(accelerators: Telemetry['accelerators']): { body: 'telemetry'; telemetry: Telemetry } {
  return { body: 'telemetry', telemetry: { cpuPct: 1, memoryUsedPct: 1, load1: 0, runningWorkloads: 0, accelerators, acceleratorErrors: [] } };
}

async function scrape(fed: ReturnType<typeof handFed>) {
  return parseExposition((await renderAcceleratorMetrics(fed.registry.all())).toString('utf8'));
}

const of = (samples: Sample[], node: string) => samples.filter((s) => s.labels.node === node);

describe('per-card metrics', () => {
  it('labels each card like DCGM-exporter and leaves out readings the tool does not give', async () => {
    const fed = handFed();
    // A model name with a quote in it must not break the exposition.
    fed.send('edge-a', birthOf(cards(2, { vendor: 'huawei', model: 'Ascend 910B "B3"', domestic: true })));
    fed.send('edge-a', telemetry([
      { index: 0, utilPct: 55, memoryUsedMib: 1024, memoryTotalMib: 65536, temperatureC: 61, powerW: 250, powerLimitW: 400, health: 'ok' },
      { index: 1, utilPct: 0, health: 'error' },
    ]));
    const { samples, types, helps } = await scrape(fed);
    const info = samples.filter((s) => s.name === 'banyan_accelerator_info');
    expect(info.map((s) => s.labels)).toEqual([0, 1].map((i) => ({
      node: 'edge-a', site: 'fz-mawei-plant-3', gpu: String(i), vendor: 'huawei', model: 'Ascend 910B \\"B3\\"', domestic: 'true',
      uuid: `card-${i}`, pci_bus_id: `0000:${(0x18 + i).toString(16)}:00.0`,
    })));
    expect(info.every((s) => s.value === 1)).toBe(true);
    const card0 = { node: 'edge-a', gpu: '0' };
    expect(value(samples, 'banyan_accelerator_utilization_percent', card0)).toBe(55);
    expect(value(samples, 'banyan_accelerator_memory_used_bytes', card0)).toBe(1024 * 2 ** 20);
    expect(value(samples, 'banyan_accelerator_memory_total_bytes', card0)).toBe(65536 * 2 ** 20);
    expect(value(samples, 'banyan_accelerator_temperature_celsius', card0)).toBe(61);
    expect(value(samples, 'banyan_accelerator_power_watts', card0)).toBe(250);
    expect(value(samples, 'banyan_accelerator_power_limit_watts', card0)).toBe(400);
    expect(value(samples, 'banyan_accelerator_health', card0)).toBe(HEALTH_CODE.ok);
    // Card 1 gave utilisation (a real 0) and health; nothing else is invented for it.
    const card1 = samples.filter((s) => s.labels.gpu === '1' && s.name !== 'banyan_accelerator_info');
    expect(card1.map((s) => [s.name, s.value])).toEqual([
      ['banyan_accelerator_utilization_percent', 0],
      ['banyan_accelerator_health', HEALTH_CODE.error],
    ]);
    const series = samples.filter((s) => s.name !== 'banyan_accelerator_info');
    for (const s of series) expect(Object.keys(s.labels).sort()).toEqual(['domestic', 'gpu', 'model', 'node', 'site', 'vendor']);
    for (const name of [...READINGS, 'banyan_accelerator_info', 'banyan_accelerator_tflops_per_watt']) {
      expect(types.get(name), name).toBe('gauge');
      expect(helps.get(name), name).toMatch(/\S{10}/);
      expect(helps.get(name), name).not.toMatch(/\.md\b/);
    }
  });

  it('states the basis of each TFLOPS/W: measured beats nominal, nominal without a benchmark, no series without either', async () => {
    const fed = handFed();
    const [c0, c1, c2] = cards(3, { tdpW: 400, nominalTflopsPerWatt: 0.7 });
    fed.send('edge-a', birthOf([c0!, c1!, { ...c2!, nominalTflopsPerWatt: undefined, tdpW: undefined }]));
    fed.send('edge-a', { body: 'bench', bench: { results: [benchOf(0, 210, 350)] } });
    const eff = (await scrape(fed)).samples.filter((s) => s.name === 'banyan_accelerator_tflops_per_watt');
    expect(eff.map((s) => [s.labels.gpu, s.labels.basis, s.value])).toEqual([
      ['0', 'measured', 0.6],
      ['1', 'nominal', 0.7],
    ]);
  });

  it('drops the series of a node that goes offline, and of cards a re-birth no longer has', async () => {
    const fed = handFed();
    const full = [{ index: 0, powerW: 100, health: 'ok' as const }, { index: 1, powerW: 110, health: 'ok' as const }];
    fed.send('edge-a', birthOf(cards(2, { nominalTflopsPerWatt: 0.7 })));
    fed.send('edge-a', telemetry(full));
    fed.send('edge-b', birthOf(cards(2, { nominalTflopsPerWatt: 0.7 })), { site: 'fz-gulou-dc-1' });
    fed.send('edge-b', telemetry(full), { site: 'fz-gulou-dc-1' });
    expect(of((await scrape(fed)).samples, 'edge-a')).toHaveLength(2 * 4); // info, power, health, TFLOPS/W per card

    // Re-born (new session) with one card, a replaced one: new uuid, fewer cards.
    fed.send('edge-a', birthOf(cards(1, { uuid: 'replacement-0', nominalTflopsPerWatt: 0.7 })), { sessionId: 's-2' });
    fed.send('edge-a', telemetry([{ index: 0, powerW: 90, health: 'ok' }]), { sessionId: 's-2' });
    let a = of((await scrape(fed)).samples, 'edge-a');
    expect(a.filter((s) => s.labels.gpu === '1')).toEqual([]);
    expect(a.filter((s) => s.name === 'banyan_accelerator_info').map((s) => s.labels.uuid)).toEqual(['replacement-0']);
    expect(value(a, 'banyan_accelerator_power_watts', { gpu: '0' })).toBe(90);

    // Its Last Will: every per-card series of the node goes; the other node's stay.
    fed.send('edge-a', { body: 'state', state: { status: 'OFFLINE' } }, { sessionId: 's-2' });
    const after = (await scrape(fed)).samples;
    a = of(after, 'edge-a');
    expect(a).toEqual([]);
    expect(of(after, 'edge-b')).toHaveLength(2 * 4);
  });

  it('renders one snapshot: a node going offline mid-render is in every family or in none', async () => {
    const fed = handFed();
    fed.send('edge-a', birthOf(cards(2, { nominalTflopsPerWatt: 0.7 })));
    fed.send('edge-a', telemetry([{ index: 0, powerW: 100, health: 'ok' }, { index: 1, powerW: 110, health: 'ok' }]));
    // One card a slice, as 8192 cards a slice would do on a big fleet.
    const rendering = renderAcceleratorMetrics(fed.registry.all(), 1);
    // Ingest runs between slices (the render yields): the Last Will lands meanwhile.
    await new Promise((r) => setImmediate(r));
    fed.send('edge-a', { body: 'state', state: { status: 'OFFLINE' } });
    const { samples } = parseExposition((await rendering).toString('utf8'));
    const names = new Set(samples.map((s) => s.name));
    expect([...names].sort()).toEqual(['banyan_accelerator_health', 'banyan_accelerator_info', 'banyan_accelerator_power_watts', 'banyan_accelerator_tflops_per_watt']);
    for (const name of names) expect(samples.filter((s) => s.name === name), name).toHaveLength(2);
    expect(of((await scrape(fed)).samples, 'edge-a')).toEqual([]);
  });

  it("relabels a card when its node's site changes", async () => {
    const fed = handFed();
    fed.send('edge-a', birthOf(cards(1)));
    fed.send('edge-a', telemetry([{ index: 0, utilPct: 5, health: 'ok' }]));
    expect((await scrape(fed)).samples.map((s) => s.labels.site)).toEqual(['fz-mawei-plant-3', 'fz-mawei-plant-3', 'fz-mawei-plant-3']);
    fed.send('edge-a', telemetry([{ index: 0, utilPct: 5, health: 'ok' }]), { site: 'fz-gulou-dc-1' });
    const { samples } = await scrape(fed);
    expect(samples.map((s) => s.labels.site)).toEqual(['fz-gulou-dc-1', 'fz-gulou-dc-1', 'fz-gulou-dc-1']);
  });
});
