// TDP per model from the vendors' stated figures, each with its source; detection fills
// Accelerator.tdpW and nominalTflopsPerWatt (the one rule in protocol/fp16.ts) from it.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog, lookup, validateCatalog } from '../../../agent/catalog/catalog.ts';
import { detectAccelerators } from '../../../agent/detect/index.ts';
import { tflopsPerWatt } from '../../../protocol/fp16.ts';
import { prepareSimulatedHost, type SimulatedHost } from '../../../simulators/hardware/host.ts';

const hosts: SimulatedHost[] = [];
afterAll(() => {
  for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
});

const model = (extra: Record<string, unknown>) => ({
  version: '2026.1.0',
  models: [{ id: 'x', vendor: 'nvidia', model: 'X', match: { names: ['X'] }, dense: { fp16: 100 }, domestic: false, source: 'datasheet', verified: true, ...extra }],
});

describe('TDP in the catalogue', () => {
  it('every tdpW has a source; the figures are the stated ones', async () => {
    const c = await loadCatalog();
    const withTdp = c.entries.filter((e) => e.tdpW !== undefined);
    expect(withTdp.length).toBeGreaterThan(0);
    for (const e of withTdp) expect(e.tdpSource, e.id).toMatch(/\S{10,}/);
    expect(lookup(c, { vendor: 'nvidia', model: 'NVIDIA H200' })?.tdpW).toBe(700);
    expect(lookup(c, { vendor: 'nvidia', model: 'NVIDIA H100 PCIe' })?.tdpW).toBe(350);
    expect(lookup(c, { vendor: 'amd', model: 'AMD Instinct MI300X' })?.tdpW).toBe(750);
  });

  it('a TDP without a source, a source without a TDP, or a non-positive TDP is refused', () => {
    expect(() => validateCatalog(model({ tdpW: 300 }), 'test')).toThrow(/tdpW needs a tdpSource/);
    expect(() => validateCatalog(model({ tdpSource: 'datasheet' }), 'test')).toThrow(/tdpSource without a tdpW/);
    expect(() => validateCatalog(model({ tdpW: 0, tdpSource: 'datasheet' }), 'test')).toThrow(CatalogError);
    expect(validateCatalog(model({ tdpW: 300, tdpSource: 'X datasheet' }), 'test').entries[0]).toMatchObject({ tdpW: 300, tdpSource: 'X datasheet' });
  });
});

describe('TFLOPS per watt (protocol/fp16.ts)', () => {
  it('is TFLOPS over watts, to 4 decimals; absent unless both are known and positive', () => {
    expect(tflopsPerWatt(989.5, 700)).toBe(1.4136);
    expect(tflopsPerWatt(100, 350)).toBe(0.2857);
    expect(tflopsPerWatt(undefined, 700)).toBeUndefined();
    expect(tflopsPerWatt(100, undefined)).toBeUndefined();
    expect(tflopsPerWatt(100, 0)).toBeUndefined();
    expect(tflopsPerWatt(0, 300)).toBeUndefined();
  });
});

describe('detection fills tdpW and nominalTflopsPerWatt from the catalogue', () => {
  it('H200: 700 W, 989.5 / 700; a model without a sourced TDP gets neither', async () => {
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 1 }, huawei: { count: 1 } } });
    hosts.push(host);
    const r = await detectAccelerators({ env: host.env, sysfsRoot: host.sysfsRoot, timeoutMs: 8000 });
    const [h200, ascend] = r.accelerators;
    expect(h200).toMatchObject({ model: 'NVIDIA H200', tdpW: 700, nominalTflopsPerWatt: 1.4136 });
    expect(ascend?.vendor).toBe('huawei');
    expect(ascend).not.toHaveProperty('tdpW');
    expect(ascend).not.toHaveProperty('nominalTflopsPerWatt');
  });
});
