import { describe, expect, it } from 'vitest';
import { amdDetector, parseAmdSmi, parseAmdSmiStatic, parseAmdSmiStaticJson, parseRocmSmiAmd } from '../../../agent/detect/amd.ts';
import type { ToolResult } from '../../../agent/detect/exec.ts';
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

describe('amd-smi static --asic --bus --vram --json', () => {
  const RX6600 = {
    vendor: 'amd',
    model: 'Navi 23 [Radeon RX 6600/6600 XT',
    vendorIndex: 0,
    serial: undefined,
    pciBusId: '0000:0b:00.0',
    pciDeviceId: '0x73ff',
    memoryMib: 8176,
    health: 'ok',
  };

  it('reads bus id and memory from the real RX 6600 output (array shape of ROCm 6.2 and before)', () => {
    expect(parseAmdSmiStaticJson(fixture('amd_amd-smi_static_json_RX6600.json')).devices).toEqual([RX6600]);
  });

  it('reads the {"gpu_data": [...]} shape of later releases, byte and string sizes', () => {
    const gpu = JSON.parse(fixture('amd_amd-smi_static_json_RX6600.json'))[0];
    const second = { ...gpu, gpu: 1, bus: { bdf: '0000:0c:00.0' }, vram: { size: { value: 8573157376, unit: 'B' } } };
    const third = { ...gpu, gpu: 2, vram: { size: '8176 MB' } };
    const r = parseAmdSmi(JSON.stringify({ gpu_data: [gpu, second, third] }));
    expect(r.devices.map((d) => [d.vendorIndex, d.pciBusId, d.memoryMib])).toEqual([
      [0, '0000:0b:00.0', 8176],
      [1, '0000:0c:00.0', 8176],
      [2, '0000:0b:00.0', 8176],
    ]);
  });

  it('text output is still read; garbage is a format error', () => {
    expect(parseAmdSmi(fixture('amd_amd-smi_static_asic_MI308X.txt')).devices.map((d) => d.model)).toEqual(['MI308X']);
    expect(() => parseAmdSmiStaticJson('{"gpus": []}')).toThrow(FormatError);
    expect(() => parseAmdSmiStaticJson('[{"gpu": 0, "asic": {}}]')).toThrow(/market_name/);
  });
});

describe('AMD detector: rocm-smi first, amd-smi when rocm-smi is missing or fails', () => {
  const AMD_SMI = fixture('amd_amd-smi_static_json_RX6600.json');
  const detect = (rocm: ToolResult) => {
    const calls: string[] = [];
    const run = async (tool: string): Promise<ToolResult> => {
      calls.push(tool);
      return tool === 'rocm-smi' ? rocm : { ok: true, stdout: AMD_SMI, stderr: '' };
    };
    return amdDetector.detect(run).then((r) => ({ ...r, calls }));
  };
  const failures: [string, ToolResult][] = [
    ['exits non-zero', { ok: false, missing: false, message: 'rocm-smi exited with code 1: ERROR:root:Driver not initialized', stdout: '' }],
    ['prints garbage', { ok: true, stdout: 'Segmentation fault (core dumped)', stderr: '' }],
    ['times out', { ok: false, missing: false, message: 'rocm-smi timed out after 3 s; is the driver loaded, or is a device hung?', stdout: '' }],
    ['is missing', { ok: false, missing: true, message: 'rocm-smi not found on PATH', stdout: '' }],
  ];

  it.each(failures)('rocm-smi %s: the cards come from amd-smi, with bus id and memory', async (_why, rocm) => {
    const r = await detect(rocm);
    expect(r.calls).toEqual(['rocm-smi', 'amd-smi']);
    expect(r).toMatchObject({ tool: 'amd-smi', warnings: [], toolMissing: false });
    expect(r.devices.map((d) => [d.model, d.pciBusId, d.memoryMib])).toEqual([['Navi 23 [Radeon RX 6600/6600 XT', '0000:0b:00.0', 8176]]);
  });

  it('both failing: both reasons are warned', async () => {
    const run = async (tool: string): Promise<ToolResult> => ({ ok: false, missing: false, message: `${tool} exited with code 1: driver not loaded`, stdout: '' });
    const r = await amdDetector.detect(run);
    expect(r.devices).toEqual([]);
    expect(r.warnings).toEqual(['rocm-smi exited with code 1: driver not loaded', 'amd-smi exited with code 1: driver not loaded']);
  });
});
