import { describe, expect, it } from 'vitest';
import type { ToolRunner } from '../../../agent/detect/exec.ts';
import { intelDetector, parseXpuSmiDiscoveryDetail, parseXpuSmiDiscoveryJson, parseXpuSmiDiscoveryTable } from '../../../agent/detect/intel.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

const DEVICE = {
  vendor: 'intel',
  model: 'Intel(R) Graphics [0x020a]',
  vendorIndex: 0,
  uuid: '00000000-0000-0000-0000-020a00008086',
  pciBusId: '0000:4d:00.0',
  health: 'ok',
};

describe('xpu-smi discovery (Intel)', () => {
  it('reads the real -j output', () => {
    expect(parseXpuSmiDiscoveryJson(fixture('intel_xpu-smi_discovery_-j.json')).devices).toEqual([{ ...DEVICE, pciDeviceId: '0x020a' }]);
  });

  it('reads the real human table', () => {
    expect(parseXpuSmiDiscoveryTable(fixture('intel_xpu-smi_discovery.txt')).devices).toEqual([DEVICE]);
  });

  it("Kunlunxin's xpu-smi output is not Intel's", () => {
    expect(() => parseXpuSmiDiscoveryJson(fixture('kunlunxin_xpu-smi_-q_P800-PCIe.txt'))).toThrow(FormatError);
    expect(() => parseXpuSmiDiscoveryJson('{"device_list":[{"device_id":0,"vendor_name":"KUNLUNXIN"}]}')).toThrow(/not Intel/);
  });

  it('reads many devices', () => {
    const list = [...Array(4).keys()].map((i) => ({ device_id: i, device_name: 'Intel(R) Data Center GPU Max 1550', pci_bdf_address: `0000:${i + 20}:00.0`, pci_device_id: '0xbd5', vendor_name: 'Intel(R) Corporation' }));
    const r = parseXpuSmiDiscoveryJson(JSON.stringify({ device_list: list }));
    expect(r.devices.map((d) => [d.vendorIndex, d.pciDeviceId, d.pciBusId])).toEqual([
      [0, '0x0bd5', '0000:20:00.0'],
      [1, '0x0bd5', '0000:21:00.0'],
      [2, '0x0bd5', '0000:22:00.0'],
      [3, '0x0bd5', '0000:23:00.0'],
    ]);
  });
});

const DETAIL = fixture('intel_xpu-smi_discovery_-d_0000-4d-00.0.txt');

describe('xpu-smi discovery -d N (Intel)', () => {
  it('reads memory, driver and firmware from the real per-device output', () => {
    expect(parseXpuSmiDiscoveryDetail(DETAIL)).toEqual({ memoryMib: 32768, driverVersion: '16929133', firmwareVersion: 'ATS0_1.1' });
  });

  it('a size in GiB, or none, is handled; garbage is a format error', () => {
    expect(parseXpuSmiDiscoveryDetail(DETAIL.replace('32768.00 MiB', '  48.00 GiB  ')).memoryMib).toBe(49152);
    expect(parseXpuSmiDiscoveryDetail(DETAIL.replace(/.*Memory Physical Size.*\n/, '')).memoryMib).toBeUndefined();
    expect(() => parseXpuSmiDiscoveryDetail('Segmentation fault')).toThrow(FormatError);
  });
});

describe('Intel detector', () => {
  const answers = (table: Record<string, string>): ToolRunner => async (_tool, args) => {
    const out = table[args.join(' ')];
    return out !== undefined ? { ok: true, stdout: out, stderr: '' } : { ok: false, missing: false, message: `xpu-smi exited with code 1: unknown option ${args.join(' ')}`, stdout: '' };
  };

  it('each listed card gets its memory from one discovery -d call', async () => {
    const calls: string[] = [];
    const table = answers({ 'discovery -j': fixture('intel_xpu-smi_discovery_-j.json'), 'discovery -d 0': DETAIL });
    const r = await intelDetector.detect((tool, args) => (calls.push(args.join(' ')), table(tool, args)));
    expect(r.warnings).toEqual([]);
    expect(r.devices).toEqual([{ ...DEVICE, pciDeviceId: '0x020a', memoryMib: 32768, driverVersion: '16929133', firmwareVersion: 'ATS0_1.1' }]);
    expect(calls.filter((c) => c.startsWith('discovery -d'))).toEqual(['discovery -d 0']);
  });

  it('a failing discovery -d is a warning; the card stays, memory left to the catalogue', async () => {
    const r = await intelDetector.detect(answers({ 'discovery -j': fixture('intel_xpu-smi_discovery_-j.json') }));
    expect(r.devices).toEqual([{ ...DEVICE, pciDeviceId: '0x020a' }]);
    expect(r.warnings).toEqual(['xpu-smi exited with code 1: unknown option discovery -d 0; memory left to the catalogue']);
  });

  it('an xpu-smi that rejects -j is read through its discovery table', async () => {
    const r = await intelDetector.detect(answers({ discovery: fixture('intel_xpu-smi_discovery.txt'), 'discovery -d 0': DETAIL }));
    expect(r).toEqual({ devices: [{ ...DEVICE, memoryMib: 32768, driverVersion: '16929133', firmwareVersion: 'ATS0_1.1' }], warnings: [], toolMissing: false, tool: 'xpu-smi' });
  });
});
