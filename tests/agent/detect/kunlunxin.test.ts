import { describe, expect, it } from 'vitest';
import { parseKunlunxinLegacy, parseKunlunxinQuery, parseKunlunxinTable } from '../../../agent/detect/kunlunxin.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

describe('Kunlunxin', () => {
  it('reads the real xpu-smi -q output (P800 PCIe)', () => {
    expect(parseKunlunxinQuery(fixture('kunlunxin_xpu-smi_-q_P800-PCIe.txt')).devices).toEqual([
      {
        vendor: 'kunlunxin',
        model: 'P800 PCIe',
        vendorIndex: 0,
        uuid: 'GPU-420716f2-9928-5108-a5b2-e6b7cf36b37c',
        serial: '02K0MA0258D0007R',
        pciBusId: '00000000:01:00.0',
        pciDeviceId: '0x3686',
        memoryMib: 98304,
        driverVersion: '5.0.21.26',
        firmwareVersion: '1.0.2.14.1.54',
        health: 'ok',
        note: undefined,
      },
    ]);
  });

  it('an uncorrectable DRAM error since boot is a warning', () => {
    const text = fixture('kunlunxin_xpu-smi_-q_P800-PCIe.txt').replace(/(Volatile\n\s+DRAM Correctable\s+: 0\n\s+DRAM Uncorrectable\s+: )0/, '$15');
    expect(parseKunlunxinQuery(text).devices[0]).toMatchObject({ health: 'warning', note: '5 uncorrectable DRAM errors since boot' });
  });

  it('reads the real P800 OAM table (GPUs 0, 1, 7)', () => {
    const r = parseKunlunxinTable(fixture('kunlunxin_xpu-smi_P800-OAM_table.txt'));
    expect(r.devices.map((d) => [d.vendorIndex, d.model, d.pciBusId, d.memoryMib, d.driverVersion, d.health])).toEqual([
      [0, 'P800 OAM', '00000000:03:00.0', 98304, '5.19.0.0', 'ok'],
      [1, 'P800 OAM', '00000000:05:00.0', 98304, '5.19.0.0', 'ok'],
      [7, 'P800 OAM', '00000000:A5:00.0', 98304, '5.19.0.0', 'ok'],
    ]);
  });

  it('reads the legacy xpu_smi table (R300); the masked serial "02Kxxx" is dropped', () => {
    expect(parseKunlunxinLegacy(fixture('kunlunxin_xpu_smi_legacy_R300.txt')).devices).toEqual([
      { vendor: 'kunlunxin', model: 'R300', vendorIndex: 0, serial: undefined, pciBusId: '0000:53:00.0', memoryMib: 32768, driverVersion: '4.0', health: 'ok' },
      { vendor: 'kunlunxin', model: 'R300', vendorIndex: 1, serial: undefined, pciBusId: '0000:56:00.0', memoryMib: 32768, driverVersion: '4.0', health: 'ok' },
    ]);
  });

  it("Intel's xpu-smi output is a format error here", () => {
    expect(() => parseKunlunxinQuery(fixture('intel_xpu-smi_discovery.txt'))).toThrow(FormatError);
    expect(() => parseKunlunxinLegacy('garbage')).toThrow(FormatError);
  });
});
