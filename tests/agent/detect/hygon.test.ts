import { describe, expect, it } from 'vitest';
import type { ToolRunner } from '../../../agent/detect/exec.ts';
import { HY_SMI_NAME_ARGS, hygonDetector, parseHygonRocmTable, parseHySmi, parseHySmiNames, parseRocmSmiHygon } from '../../../agent/detect/hygon.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

describe('Hygon DCU', () => {
  it('reads the DTK rocm-smi --json output (model masked by its source, MiB memory)', () => {
    expect(parseRocmSmiHygon(fixture('hygon_rocm-smi_json_gpustack.json')).devices).toEqual([
      {
        vendor: 'hygon',
        model: 'DCU xxxx',
        vendorIndex: 0,
        uuid: '7100fa8866904061',
        serial: undefined,
        pciBusId: undefined,
        pciDeviceId: '0x6210',
        memoryMib: 65520,
        driverVersion: undefined,
        health: 'ok',
      },
    ]);
  });

  it('ignores AMD cards in rocm-smi output', () => {
    expect(parseRocmSmiHygon(fixture('amd_rocm-smi_json_RX7800XT.json')).devices).toEqual([]);
  });

  it('reads the old DTK rocm-smi table (4× Z100): indexes, no model', () => {
    const r = parseHygonRocmTable(fixture('hygon_rocm-smi_DCU-Z100.txt'));
    expect(r.devices.map((d) => d.vendorIndex)).toEqual([0, 1, 2, 3]);
    expect(r.devices.every((d) => d.model === 'Hygon DCU (model not reported)')).toBe(true);
  });

  it('joins the hy-smi table with --showmeminfo vram', () => {
    const r = parseHySmi(fixture('hygon_hy-smi_table_snippet.txt'), fixture('hygon_hy-smi_showmeminfo_vram_snippet.txt'));
    expect(r.devices.map((d) => [d.vendorIndex, d.memoryMib, d.health])).toEqual([
      [0, 65520, 'ok'],
      [1, 65520, 'ok'],
    ]);
  });

  it('a DCU not in Normal mode is a warning; memory is optional', () => {
    const table = fixture('hygon_hy-smi_table_snippet.txt').replace(/Normal\s*$/, 'Abnormal');
    const r = parseHySmi(table, undefined);
    expect(r.devices[1]).toMatchObject({ health: 'warning', note: 'hy-smi mode Abnormal', memoryMib: undefined });
    expect(() => parseHySmi('garbage', undefined)).toThrow(FormatError);
  });
});

describe('hy-smi --showproductname --showbus --json', () => {
  it('reads model and device id from the DTK JSON (the real DTK 24.04.3 output hy-smi prints under its name)', () => {
    const c = parseHySmiNames(fixture('hygon_rocm-smi_json_gpustack.json')).get(0);
    expect(c).toMatchObject({ model: 'DCU xxxx', deviceId: '0x6210' });
  });

  it('takes the bus id and serial out of "PCI Bus: <bdf> --> SN: <sn> --> OAM ID: <n>"', () => {
    // Values as real hy-smi --showbus prints them on an 8-HCU BW node.
    const doc = {
      card0: { 'Card Series': 'BW', 'Card Vendor': 'Chengdu C-3000 IC Design Co., Ltd.', 'PCI Bus': '0000:05:00.0 --> SN: 2500238601000586 --> OAM ID: 5' },
      card2: { 'Card Series': 'BW', 'Card Vendor': 'Chengdu C-3000 IC Design Co., Ltd.', 'PCI Bus': '0000:14:00.0 --> SN: N/A' },
    };
    const names = parseHySmiNames(JSON.stringify(doc));
    expect([...names.values()].map((c) => [c.index, c.model, c.busId, c.serial])).toEqual([
      [0, 'BW', '0000:05:00.0', '2500238601000586'],
      [2, 'BW', '0000:14:00.0', undefined],
    ]);
  });
});

describe('Hygon detector without a working DTK rocm-smi', () => {
  const names = JSON.stringify({
    card0: { 'Card Series': 'K100_AI', 'Card Vendor': 'Chengdu Haiguang IC Design Co., Ltd.', 'PCI Bus': '0000:09:00.0 --> SN: N/A' },
    card1: { 'Card Series': 'K100_AI', 'Card Vendor': 'Chengdu Haiguang IC Design Co., Ltd.', 'PCI Bus': '0000:0a:00.0 --> SN: N/A' },
  });
  const hySmi = (nameAnswer: string | undefined, rocm: 'missing' | 'failed'): ToolRunner => async (tool, args) => {
    if (tool === 'rocm-smi') return { ok: false, missing: rocm === 'missing', message: rocm === 'missing' ? 'rocm-smi not found on PATH' : 'rocm-smi exited with code 1: no DCU', stdout: '' };
    const key = args.join(' ');
    if (key === '') return { ok: true, stdout: fixture('hygon_hy-smi_table_snippet.txt'), stderr: '' };
    if (key === '--showmeminfo vram') return { ok: true, stdout: fixture('hygon_hy-smi_showmeminfo_vram_snippet.txt'), stderr: '' };
    if (key === HY_SMI_NAME_ARGS.join(' ') && nameAnswer !== undefined) return { ok: true, stdout: nameAnswer, stderr: '' };
    return { ok: false, missing: false, message: `hy-smi exited with code 2: unrecognized arguments: ${key}`, stdout: '' };
  };

  it.each(['missing', 'failed'] as const)('rocm-smi %s: hy-smi names the cards and gives their bus ids', async (rocm) => {
    const r = await hygonDetector.detect(hySmi(names, rocm));
    expect(r).toMatchObject({ tool: 'hy-smi', warnings: [] });
    expect(r.devices.map((d) => [d.vendorIndex, d.model, d.pciBusId, d.memoryMib, d.health])).toEqual([
      [0, 'K100_AI', '0000:09:00.0', 65520, 'ok'],
      [1, 'K100_AI', '0000:0a:00.0', 65520, 'ok'],
    ]);
  });

  it('an hy-smi that rejects the names query: cards listed unnamed, with a warning that says so', async () => {
    const r = await hygonDetector.detect(hySmi(undefined, 'missing'));
    expect(r.devices.map((d) => d.model)).toEqual(['Hygon DCU (model not reported)', 'Hygon DCU (model not reported)']);
    expect(r.warnings).toEqual([
      'hy-smi --showproductname --showbus --json: hy-smi exited with code 2: unrecognized arguments: --showproductname --showbus --json; cards listed without model or bus id',
    ]);
  });
});
