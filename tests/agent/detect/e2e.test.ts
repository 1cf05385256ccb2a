// The real detection code against the fake vendor CLIs and a fake sysfs tree: one simulated
// host per test, passed through options (process.env is never touched).
import { describe, expect, it } from 'vitest';
import { sumFp16 } from '../../../protocol/fp16.ts';
import type { Accelerator } from '../../../protocol/messages.ts';
import { detectAccelerators, createAcceleratorSource, type DetectOptions } from '../../../agent/detect/index.ts';
import { prepareSimulatedHost, type HardwareScenario } from '../../../simulators/hardware/host.ts';

async function detectOn(scenario: HardwareScenario, opts: DetectOptions = {}) {
  const host = await prepareSimulatedHost(scenario);
  return detectAccelerators({ env: host.env, sysfsRoot: host.sysfsRoot, timeoutMs: 5000, ...opts });
}

const brief = (a: Accelerator) => [a.vendor, a.model, a.pciBusId, a.memoryMib, a.health, a.nominal.tflops, a.nominal.basis, a.detectedBy];

describe('detection per vendor through the fake CLIs', () => {
  // vendor, model printed, memory, FP16-eq, basis, tool
  const cases = [
    ['nvidia', 'NVIDIA H200', 143771, 989.5, 'fp16', 'nvidia-smi'],
    ['amd', 'AMD Instinct MI300X', 196592, 1300, 'fp16', 'rocm-smi'],
    ['intel', 'Intel(R) Data Center GPU Flex 170', 16384, undefined, 'unknown', 'xpu-smi'],
    ['huawei', 'Ascend 910B', 65536, 280, 'fp16', 'npu-smi'],
    ['cambricon', 'MLU370-X8', 23374, undefined, 'unknown', 'cnmon'],
    ['hygon', 'K100_AI', 65520, 196, 'fp16', 'rocm-smi'],
    ['kunlunxin', 'P800 PCIe', 98304, undefined, 'unknown', 'xpu-smi'],
    ['iluvatar', 'Iluvatar BI-V150S', 32768, undefined, 'unknown', 'ixsmi'],
    ['metax', 'MXC500', 65536, 280, 'fp16', 'mx-smi'],
    ['mthreads', 'MTT S4000', 32768, 100, 'fp16', 'mthreads-gmi'],
    ['enflame', 'S60', 49120, undefined, 'unknown', 'efsmi'],
  ] as const;

  it.each(cases)('%s: two cards, every field filled, no warnings', async (vendor, model, memory, tflops, basis, tool) => {
    const r = await detectOn({ vendors: { [vendor]: { count: 2 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map(brief)).toEqual([
      [vendor, model, '0000:10:00.0', memory, 'ok', tflops, basis, tool],
      [vendor, model, '0000:11:00.0', memory, 'ok', tflops, basis, tool],
    ]);
    expect(r.accelerators.map((a) => a.index)).toEqual([0, 1]);
    for (const a of r.accelerators) {
      expect(a.driverVersion).not.toBe('');
      expect(a.pciId).toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/);
      expect(a.nominal.kind).toBe('nominal');
      expect(a.nominal.source).not.toBe('');
      expect(a.domestic).toBe(!['nvidia', 'amd', 'intel'].includes(vendor));
    }
  });

  it('eight Ascend 910B: 2240 TFLOPS nominal, all domestic', async () => {
    const r = await detectOn({ vendors: { huawei: { count: 8 } } });
    expect(r.accelerators).toHaveLength(8);
    const totals = sumFp16(r.accelerators.map((a) => ({ domestic: a.domestic, fp16: a.nominal })));
    expect(totals.pflops).toBeCloseTo(2.24, 9);
    expect(totals.domesticShare).toBe(1);
    expect(r.accelerators[0]!.nominal.source).toMatch(/huawei-ascend-910b: ai\.gitee\.com/);
  });

  it('a mixed box (2× H200, 4× Ascend 910B, 2× MLU370-X8): domestic share counts only known figures', async () => {
    const r = await detectOn({ vendors: { nvidia: { count: 2 }, huawei: { count: 4 }, cambricon: { count: 2 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => a.vendor)).toEqual(['nvidia', 'nvidia', 'huawei', 'huawei', 'huawei', 'huawei', 'cambricon', 'cambricon']);
    const totals = sumFp16(r.accelerators.map((a) => ({ domestic: a.domestic, fp16: a.nominal })));
    expect(totals.pflops).toBeCloseTo((2 * 989.5 + 4 * 280) / 1000, 9);
    expect(totals.domesticShare).toBeCloseTo(1120 / 3099, 9);
    expect(totals.unknownCount).toBe(2);
    expect(r.accelerators[6]!.nominal.source).toMatch(/UNVERIFIED/);
  });

  it('Ascend chip variants come from npu-smi info -m (910B3 is unverified, so no number)', async () => {
    const r = await detectOn({ vendors: { huawei: { count: 1, model: '910B3' } } });
    expect(r.accelerators[0]).toMatchObject({ model: 'Ascend 910B3', nominal: { basis: 'unknown' } });
    expect(r.accelerators[0]!.nominal).not.toHaveProperty('tflops');
    expect(r.accelerators[0]!.nominal.source).toMatch(/huawei-ascend-910b-variants: UNVERIFIED/);
  });
});

describe('faults', () => {
  it('a hung tool costs its timeout: the warning says so and the rest is detected', async () => {
    const r = await detectOn({ vendors: { nvidia: { count: 1 }, huawei: { count: 2 } }, faults: { 'npu-smi': 'hang' } }, { timeoutMs: 400 });
    expect(r.warnings).toEqual(['npu-smi timed out after 0.4 s; is the driver loaded, or is a device hung?']);
    expect(r.accelerators.map((a) => [a.vendor, a.detectedBy, a.health, a.nominal.basis])).toEqual([
      ['nvidia', 'nvidia-smi', 'ok', 'fp16'],
      ['huawei', 'pci', 'unknown', 'unknown'],
      ['huawei', 'pci', 'unknown', 'unknown'],
    ]);
    expect(r.accelerators[1]!.note).toBe('npu-smi failed; listed from PCI only');
  });

  it("a driver error names the tool and the driver's message; cards stay listed from PCI", async () => {
    const r = await detectOn({ vendors: { nvidia: { count: 2 } }, faults: { 'nvidia-smi': 'driver-error' } });
    expect(r.warnings).toEqual([
      "nvidia-smi exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    ]);
    expect(r.accelerators.map((a) => [a.pciBusId, a.pciId, a.detectedBy])).toEqual([
      ['0000:10:00.0', '10de:2335', 'pci'],
      ['0000:11:00.0', '10de:2335', 'pci'],
    ]);
  });

  it('garbage output is a format warning', async () => {
    const r = await detectOn({ vendors: { cambricon: { count: 1 }, metax: { count: 1 } }, faults: { cnmon: 'garbage' } });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^cnmon: output not understood \(no "CNMON v… Driver v…" banner\)/);
    expect(r.accelerators.map((a) => [a.vendor, a.detectedBy])).toEqual([
      ['cambricon', 'pci'],
      ['metax', 'mx-smi'],
    ]);
  });

  it('a missing tool: cards listed from PCI with "tool missing", FP16 unknown, and what to install', async () => {
    const r = await detectOn({ vendors: { metax: { count: 2 } }, missingTools: ['mx-smi'] });
    expect(r.warnings).toEqual(['2 MetaX device(s) on PCI but mx-smi is not installed: install the MetaX driver and MACA (metax-driver, which ships mx-smi)']);
    expect(r.accelerators[0]).toMatchObject({
      vendor: 'metax',
      pciId: '9999:4001',
      detectedBy: 'pci',
      health: 'unknown',
      domestic: true,
      nominal: { basis: 'unknown' },
      note: 'tool missing: mx-smi is not installed; install the MetaX driver and MACA (metax-driver, which ships mx-smi)',
    });
  });

  it('a device in error and one in warning keep their place with the reason', async () => {
    const r = await detectOn({ vendors: { nvidia: { count: 3, devices: { '1': { health: 'error' }, '2': { health: 'warning' } } } } });
    expect(r.accelerators.map((a) => [a.health, a.note])).toEqual([
      ['ok', ''],
      ['error', 'nvidia-smi reports [Unknown Error]'],
      ['warning', '3 uncorrected ECC errors since boot'],
    ]);
  });

  it('a card on the bus that the tool does not list is still reported', async () => {
    const r = await detectOn({ vendors: { enflame: { count: 2, devices: { '1': { pciOnly: true } } } } });
    expect(r.warnings).toEqual(['1 Enflame device(s) on PCI that efsmi did not list']);
    expect(r.accelerators.map((a) => [a.detectedBy, a.pciBusId])).toEqual([
      ['efsmi', '0000:10:00.0'],
      ['pci', '0000:11:00.0'],
    ]);
  });
});

describe('PCI functions that share an accelerator vendor id', () => {
  // Every simulated board has a Hi1711 BMC VGA (19e5:1711), a Kunpeng ZIP engine (19e5:a250, 1200)
  // and AMD APU graphics (1002:164e) on its bus.
  it('a Huawei BMC VGA next to a real Ascend card: one card counted, no warning', async () => {
    const r = await detectOn({ vendors: { huawei: { count: 1 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => [a.vendor, a.pciBusId, a.detectedBy])).toEqual([['huawei', '0000:10:00.0', 'npu-smi']]);
  });

  it('a box without Huawei or AMD cards or tools is not warned about its BMC VGA or APU graphics', async () => {
    const r = await detectOn({ vendors: { nvidia: { count: 1 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => a.vendor)).toEqual(['nvidia']);
  });

  it('the hardware fingerprint leaves them out too', async () => {
    const host = await prepareSimulatedHost({ vendors: { huawei: { count: 1 } } });
    const source = createAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot });
    expect(await source.fingerprint!()).toBe('0000:10:00.0=19e5:d802');
  });
});

describe('xpu-smi: Intel or Kunlunxin, told apart by output', () => {
  it("Intel's xpu-smi gives no Kunlunxin warning", async () => {
    const r = await detectOn({ vendors: { intel: { count: 1 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => a.vendor)).toEqual(['intel']);
  });

  it("Kunlunxin's xpu-smi gives no Intel warning", async () => {
    const r = await detectOn({ vendors: { kunlunxin: { count: 1 } } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => a.vendor)).toEqual(['kunlunxin']);
  });

  it("with Kunlunxin's xpu-smi installed, Intel cards are listed from PCI", async () => {
    const r = await detectOn({ vendors: { intel: { count: 1 }, kunlunxin: { count: 1 } }, xpuSmi: 'kunlunxin' });
    expect(r.accelerators.map((a) => [a.vendor, a.detectedBy])).toEqual([
      ['intel', 'pci'],
      ['kunlunxin', 'xpu-smi'],
    ]);
    expect(r.warnings).toEqual([expect.stringMatching(/^1 Intel device\(s\) on PCI but xpu-smi is not installed/)]);
  });
});

describe('older tools', () => {
  it('Kunlunxin R300 with only the legacy xpu_smi', async () => {
    const r = await detectOn({ vendors: { kunlunxin: { count: 2, model: 'R300', memoryMib: 32768 } }, tools: ['xpu_smi'] });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => [a.model, a.detectedBy, a.nominal.tflops])).toEqual([
      ['R300', 'xpu_smi', 125],
      ['R300', 'xpu_smi', 125],
    ]);
  });

  it('Hygon with hy-smi only: cards named, bus ids, memory and the catalogue figure from hy-smi', async () => {
    const r = await detectOn({ vendors: { hygon: { count: 2 } }, missingTools: ['rocm-smi'] });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => [a.model, a.memoryMib, a.detectedBy, a.pciBusId, a.pciId, a.nominal.tflops])).toEqual([
      ['K100_AI', 65520, 'hy-smi', '0000:10:00.0', '1d94:6320', 196],
      ['K100_AI', 65520, 'hy-smi', '0000:11:00.0', '1d94:6320', 196],
    ]);
  });

  it('Hygon whose DTK rocm-smi fails: the same from hy-smi; the broken rocm-smi is reported once', async () => {
    const r = await detectOn({ vendors: { hygon: { count: 1 } }, faults: { 'rocm-smi': 'driver-error' } });
    expect(r.accelerators.map((a) => [a.model, a.detectedBy, a.pciBusId, a.nominal.tflops])).toEqual([['K100_AI', 'hy-smi', '0000:10:00.0', 196]]);
    expect(r.warnings).toEqual([expect.stringMatching(/^rocm-smi exited with code 1: /)]);
  });

  it('AMD whose rocm-smi fails: amd-smi names the cards with bus id and memory, no warning', async () => {
    const r = await detectOn({ vendors: { amd: { count: 2 } }, faults: { 'rocm-smi': 'driver-error' } });
    expect(r.warnings).toEqual([]);
    expect(r.accelerators.map((a) => [a.model, a.detectedBy, a.pciBusId, a.memoryMib, a.nominal.tflops])).toEqual([
      ['AMD Instinct MI300X', 'amd-smi', '0000:10:00.0', 196592, 1300],
      ['AMD Instinct MI300X', 'amd-smi', '0000:11:00.0', 196592, 1300],
    ]);
  });

  it('AMD with amd-smi only', async () => {
    const r = await detectOn({ vendors: { amd: { count: 1 } }, missingTools: ['rocm-smi'] });
    expect(r.accelerators.map((a) => [a.model, a.detectedBy, a.nominal.tflops])).toEqual([['AMD Instinct MI300X', 'amd-smi', 1300]]);
  });
});

describe('options', () => {
  it('FP16 factor overrides change converted figures only', async () => {
    const r = await detectOn({ vendors: { enflame: { count: 1, model: 'T20' }, nvidia: { count: 1 } } }, { factors: { int8: 0.25 } });
    expect(r.accelerators.map((a) => [a.model, a.nominal.tflops, a.nominal.basis])).toEqual([
      ['NVIDIA H200', 989.5, 'fp16'],
      ['T20', 80, 'int8/2'],
    ]);
  });

  it('AcceleratorSource runs detection with its options', async () => {
    const host = await prepareSimulatedHost({ vendors: { mthreads: { count: 1 } } });
    const source = createAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot });
    const r = await source.detect();
    expect(r.accelerators.map((a) => a.model)).toEqual(['MTT S4000']);
  });

  it('no accelerators and no tools: empty, no warnings', async () => {
    const r = await detectOn({ vendors: {} });
    expect(r).toEqual({ accelerators: [], warnings: [] });
  });
});
