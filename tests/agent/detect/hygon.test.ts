import { describe, expect, it } from 'vitest';
import { parseHygonRocmTable, parseHySmi, parseRocmSmiHygon } from '../../../agent/detect/hygon.ts';
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
