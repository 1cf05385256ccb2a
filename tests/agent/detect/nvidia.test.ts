import { describe, expect, it } from 'vitest';
import { NVIDIA_QUERY_ARGS, parseNvidiaSmiCsv, parseNvidiaSmiTable } from '../../../agent/detect/nvidia.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

const H200 = {
  vendor: 'nvidia',
  model: 'NVIDIA H200',
  vendorIndex: 0,
  pciBusId: '00000000:83:00.0',
  memoryMib: 143771,
  driverVersion: '590.48.01',
  health: 'ok',
};

describe('nvidia-smi --query-gpu CSV', () => {
  it('reads the real H200 capture (≈300 fields) by header name; zeroed UUID and serial are masked', () => {
    const r = parseNvidiaSmiCsv(fixture('nvidia_nvidia-smi_query-gpu_csv_H200.txt'));
    expect(r.warnings).toEqual([]);
    expect(r.devices).toEqual([{ ...H200, pciDeviceId: '0x2335', firmwareVersion: '96.00.A5.00.03', note: undefined, uuid: undefined, serial: undefined }]);
  });

  it('reads our own query, with units and without, for many GPUs with one lost and one with ECC errors', () => {
    const header = NVIDIA_QUERY_ARGS[0].slice('--query-gpu='.length).split(',').map((f) => (f === 'memory.total' ? 'memory.total [MiB]' : f));
    const row = (i: number, mem: string, ecc: string) =>
      `${i}, GPU-1234abcd-0000-0000-0000-00000000000${i}, NVIDIA A100-SXM4-80GB, 132402${i}, 00000000:0${i}:00.0, 0x20B210DE, ${mem}, 535.104.05, 92.00.45.00.03, ${ecc}, No`;
    const csv = [header.join(', '), row(0, '81920 MiB', '0'), row(1, '[GPU requires reset]', '[GPU requires reset]'), row(2, '81920', '4')].join('\n');
    const r = parseNvidiaSmiCsv(csv);
    expect(r.devices.map((d) => [d.vendorIndex, d.uuid, d.serial, d.pciDeviceId, d.memoryMib, d.health])).toEqual([
      [0, 'GPU-1234abcd-0000-0000-0000-000000000000', '1324020', '0x20b2', 81920, 'ok'],
      [1, 'GPU-1234abcd-0000-0000-0000-000000000001', '1324021', '0x20b2', undefined, 'error'],
      [2, 'GPU-1234abcd-0000-0000-0000-000000000002', '1324022', '0x20b2', 81920, 'warning'],
    ]);
    expect(r.devices[1]!.note).toBe('nvidia-smi reports [GPU requires reset]');
    expect(r.devices[2]!.note).toBe('4 uncorrected ECC errors since boot');
  });

  it('rejects a format change: a missing column or a short row', () => {
    expect(() => parseNvidiaSmiCsv('gpu_name, memory.total [MiB]\nH200, 1 MiB')).toThrow(FormatError);
    expect(() => parseNvidiaSmiCsv('index, name\n0')).toThrow(/row has 1 cells, header has 2/);
  });

  it('no GPUs: no devices', () => {
    expect(parseNvidiaSmiCsv('').devices).toEqual([]);
  });
});

describe('nvidia-smi default table (fallback for old drivers)', () => {
  it('reads the real H200 table', () => {
    expect(parseNvidiaSmiTable(fixture('nvidia_nvidia-smi_default_H200.txt')).devices).toEqual([{ ...H200, note: undefined }]);
  });

  it('marks a GPU whose ECC cell says ERR! as in error', () => {
    const text = fixture('nvidia_nvidia-smi_default_H200.txt').replace('|                    0 |', '|                 ERR! |');
    expect(parseNvidiaSmiTable(text).devices[0]!.health).toBe('error');
  });

  it('rejects text that is not nvidia-smi', () => {
    expect(() => parseNvidiaSmiTable('hello')).toThrow(FormatError);
  });
});
