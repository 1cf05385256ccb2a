import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciAcceleratorRule } from '../../../agent/detect/index.ts';
import { normalizeBusId, scanPci } from '../../../agent/detect/pci.ts';
import { writeFakeSysfs, writePciFunctions, type PciFunctionEntry } from '../../../simulators/hardware/host.ts';

describe('PCI fallback', () => {
  it('lists function-0 accelerators of known vendors and skips audio functions, iGPUs, CPU bridges, a BMC VGA and CPU engines', async () => {
    const root = await mkdtemp(join(tmpdir(), 'banyan-pci-'));
    await writeFakeSysfs(root, { vendors: { nvidia: { count: 2 }, hygon: { count: 1 }, huawei: { count: 1 } } });
    const r = await scanPci(root, pciAcceleratorRule());
    expect(r.warnings).toEqual([]);
    expect(r.devices).toEqual([
      { busId: '0000:10:00.0', vendorId: '10de', deviceId: '2335', classCode: '030200' },
      { busId: '0000:11:00.0', vendorId: '10de', deviceId: '2335', classCode: '030200' },
      { busId: '0000:12:00.0', vendorId: '19e5', deviceId: 'd802', classCode: '120000' },
      { busId: '0000:13:00.0', vendorId: '1d94', deviceId: '6320', classCode: '038000' },
    ]);
  });

  it('decides by class and device id per vendor: same-vendor displays, BMCs and engines are not cards', async () => {
    const root = await mkdtemp(join(tmpdir(), 'banyan-pci-'));
    // [bdf, vendor, device, class, counted]
    const cases: [string, string, string, string, boolean][] = [
      ['0000:21:00.0', '19e5', '1711', '0x030000', false], // Huawei Hi1711 BMC VGA
      ['0000:22:00.0', '19e5', 'a250', '0x120000', false], // Kunpeng ZIP engine
      ['0000:23:00.0', '19e5', 'd802', '0x120000', true], // Ascend 910B
      ['0000:24:00.0', '8086', '3e92', '0x038000', false], // UHD 630 iGPU beside a discrete primary GPU
      ['0000:25:00.0', '8086', '7d1d', '0x120000', false], // Meteor Lake NPU (integrated)
      ['0000:26:00.0', '8086', '56c0', '0x038000', true], // Data Center GPU Flex 170
      ['0000:27:00.0', '8086', '56a0', '0x030000', true], // Arc A770
      ['0000:28:00.0', '1002', '164e', '0x030000', false], // Raphael APU graphics
      ['0000:29:00.0', '1002', '74a1', '0x120000', true], // Instinct MI300X
      ['0000:2a:00.0', '1002', '7448', '0x030000', true], // Radeon Pro W7900
      ['0000:2b:00.0', '1d94', '1234', '0x030000', false], // a VGA with Hygon's id: the board's display
      ['0000:2c:00.0', '1d94', '6320', '0x038000', true], // Hygon K100_AI
      ['0000:2d:00.0', '10de', '22a3', '0x040300', false], // NVIDIA HD audio (function 0 on some boards)
      ['0000:2e:00.0', '10de', '2335', '0x030200', true], // H200
    ];
    const entries: PciFunctionEntry[] = cases.map(([bdf, vendor, device, cls]) => ({ bdf, vendor, device, cls }));
    await writePciFunctions(root, entries);
    const r = await scanPci(root, pciAcceleratorRule());
    expect(r.devices.map((d) => `${d.vendorId}:${d.deviceId}`)).toEqual(cases.filter((c) => c[4]).map((c) => `${c[1]}:${c[2]}`));
  });

  it('a missing sysfs is a warning, not a crash', async () => {
    const r = await scanPci('/nonexistent-sysfs', pciAcceleratorRule());
    expect(r.devices).toEqual([]);
    expect(r.warnings[0]).toMatch(/PCI fallback unavailable: cannot read \/nonexistent-sysfs\/bus\/pci\/devices \(ENOENT\)/);
  });

  it('normalises every bus id spelling the tools print', () => {
    expect(normalizeBusId('00000000:83:00.0')).toBe('0000:83:00.0');
    expect(normalizeBusId('0000:5A:00.0')).toBe('0000:5a:00.0');
    expect(normalizeBusId('00:01:00.0')).toBe('0000:01:00.0');
    expect(normalizeBusId('4d:00.0')).toBe('0000:4d:00.0');
    expect(normalizeBusId('N/A')).toBeUndefined();
    expect(normalizeBusId(undefined)).toBeUndefined();
  });
});
