import { describe, expect, it } from 'vitest';
import { parseAmdSmiStatic, parseRocmSmiAmd } from '../../../agent/detect/amd.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

describe('rocm-smi --json (AMD)', () => {
  it('reads the real RX 7800 XT output: bytes to MiB, "N/A" serial dropped', () => {
    expect(parseRocmSmiAmd(fixture('amd_rocm-smi_json_RX7800XT.json')).devices).toEqual([
      {
        vendor: 'amd',
        model: 'Navi 32 [Radeon RX 7700 XT / 7800 XT]',
        vendorIndex: 0,
        uuid: '0x5c88007d760374f3',
        serial: undefined,
        pciBusId: undefined,
        pciDeviceId: '0x747e',
        memoryMib: 16368,
        driverVersion: undefined,
        health: 'ok',
      },
    ]);
  });

  it('leaves Hygon DCUs in the same output to the Hygon detector', () => {
    expect(parseRocmSmiAmd(fixture('hygon_rocm-smi_json_gpustack.json')).devices).toEqual([]);
    expect(parseRocmSmiAmd(fixture('hygon_rocm-smi_DCU-Z100.txt')).devices).toEqual([]);
  });

  it('reads bus id and driver version when asked for, across many cards', () => {
    const card = (i: number) => ({ 'Card Series': 'AMD Instinct MI300X', 'Card Vendor': 'Advanced Micro Devices, Inc. [AMD/ATI]', 'Device ID': '0x74a1', 'PCI Bus': `0000:${10 + i}:00.0`, 'VRAM Total Memory (B)': '206141652992' });
    const doc = Object.fromEntries([...Array(8).keys()].map((i) => [`card${i}`, card(i)]));
    const r = parseRocmSmiAmd(JSON.stringify({ ...doc, system: { 'Driver version': '6.7.0' } }));
    expect(r.devices).toHaveLength(8);
    expect(r.devices[7]).toMatchObject({ vendorIndex: 7, pciBusId: '0000:17:00.0', memoryMib: 196592, driverVersion: '6.7.0' });
  });

  it('garbage is a format error', () => {
    expect(() => parseRocmSmiAmd('Segmentation fault')).toThrow(FormatError);
    expect(() => parseRocmSmiAmd('{"card0": {"GPU use (%)": "1"}}')).toThrow(/no "Card Series"/);
  });
});

describe('amd-smi static --asic', () => {
  it('reads the real MI308X output; a redacted serial is not an identifier', () => {
    expect(parseAmdSmiStatic(fixture('amd_amd-smi_static_asic_MI308X.txt')).devices).toEqual([
      { vendor: 'amd', model: 'MI308X', vendorIndex: 0, serial: undefined, pciBusId: undefined, pciDeviceId: '0x74a2', health: 'ok' },
    ]);
  });

  it('reads several GPU blocks', () => {
    const one = fixture('amd_amd-smi_static_asic_MI308X.txt');
    const r = parseAmdSmiStatic(one + '\n' + one.replace('GPU: 0', 'GPU: 1').replace('<redacted>', 'PQ1234'));
    expect(r.devices.map((d) => [d.vendorIndex, d.serial])).toEqual([[0, undefined], [1, 'PQ1234']]);
  });

  it('text without GPU blocks is a format error', () => {
    expect(() => parseAmdSmiStatic('usage: amd-smi')).toThrow(FormatError);
  });
});
