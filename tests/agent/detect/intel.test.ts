import { describe, expect, it } from 'vitest';
import type { ToolRunner } from '../../../agent/detect/exec.ts';
import { intelDetector, parseXpuSmiDiscoveryJson, parseXpuSmiDiscoveryTable } from '../../../agent/detect/intel.ts';
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

describe('Intel detector', () => {
  it('an xpu-smi that rejects -j is read through its discovery table', async () => {
    const run: ToolRunner = async (_tool, args) =>
      args.join(' ') === 'discovery'
        ? { ok: true, stdout: fixture('intel_xpu-smi_discovery.txt'), stderr: '' }
        : { ok: false, missing: false, message: `xpu-smi exited with code 1: unknown option ${args.join(' ')}`, stdout: '' };
    const r = await intelDetector.detect(run);
    expect(r).toEqual({ devices: [DEVICE], warnings: [], toolMissing: false, tool: 'xpu-smi' });
  });
});
