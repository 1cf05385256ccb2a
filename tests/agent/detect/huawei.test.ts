import { describe, expect, it } from 'vitest';
import { parseNpuSmiInfo, parseNpuSmiMapping } from '../../../agent/detect/huawei.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

const TRAINING = 'huawei_npu-smi_gpustack_ai-server_atlas-800-training-server_model-9010_version-6.0.RC1';

describe('npu-smi', () => {
  it('reads the real 910B2C table: HBM is the memory, version from the banner', () => {
    expect(parseNpuSmiInfo(fixture('huawei_npu-smi_info_910B2C.txt'))).toEqual({
      devices: [
        { vendor: 'huawei', model: 'Ascend 910B2C', vendorIndex: 0, pciBusId: '0000:5A:00.0', memoryMib: 65536, driverVersion: '23.0.3', health: 'ok', note: undefined },
        { vendor: 'huawei', model: 'Ascend 910B2C', vendorIndex: 1, pciBusId: '0000:29:00.0', memoryMib: 65536, driverVersion: '23.0.3', health: 'ok', note: undefined },
      ],
      warnings: [],
    });
  });

  it('joins the real 8× 910A table with its real -m mapping', () => {
    const names = parseNpuSmiMapping(fixture(`${TRAINING}_mapping.txt`));
    const r = parseNpuSmiInfo(fixture(`${TRAINING}.txt`), names);
    expect(r.devices).toHaveLength(8);
    expect(r.devices.map((d) => d.pciBusId)).toEqual(['0000:61:00.0', '0000:DB:00.0', '0000:B2:00.0', '0000:3E:00.0', '0000:60:00.0', '0000:DA:00.0', '0000:B1:00.0', '0000:3D:00.0']);
    expect(new Set(r.devices.map((d) => `${d.model}|${d.memoryMib}|${d.driverVersion}`))).toEqual(new Set(['Ascend 910A|32768|22.0.3.1']));
  });

  it('reads the old 21.0.4 format of an Atlas 300I: four 310 chips on NPU 6, DDR memory', () => {
    const r = parseNpuSmiInfo(fixture('huawei_npu-smi_gpustack_ai-server_atlas-800-inference-server_model-3000_version-1.0.11-1.0.15.txt'));
    expect(r.devices.map((d) => [d.model, d.vendorIndex, d.note, d.pciBusId, d.memoryMib, d.driverVersion])).toEqual([
      ['Ascend 310', 6, 'NPU 6 chip 0', '0000:89:00.0', 8192, '21.0.4.B030'],
      ['Ascend 310', 6, 'NPU 6 chip 1', '0000:8A:00.0', 8192, '21.0.4.B030'],
      ['Ascend 310', 6, 'NPU 6 chip 2', '0000:8B:00.0', 8192, '21.0.4.B030'],
      ['Ascend 310', 6, 'NPU 6 chip 3', '0000:8C:00.0', 8192, '21.0.4.B030'],
    ]);
  });

  it('masked chip names ("Ascend xxx") and MCU rows are not names', () => {
    expect(parseNpuSmiMapping(fixture('huawei_npu-smi_info_-m_gpustack_docstring_910B-style.txt')).size).toBe(0);
  });

  it('an NPU in Critical health is an error; an unknown health word is reported', () => {
    const text = fixture('huawei_npu-smi_info_910B2C.txt');
    const critical = parseNpuSmiInfo(text.replace('| OK            | 93.8', '| Critical      | 93.8'));
    expect(critical.devices[1]).toMatchObject({ health: 'error', note: 'npu-smi health Critical' });
    const odd = parseNpuSmiInfo(text.replace('| OK            | 93.8', '| Degraded      | 93.8'));
    expect(odd.devices[1]!.health).toBe('unknown');
    expect(odd.warnings).toEqual(['npu-smi: NPU 1 chip 0 health "Degraded" is not one we know']);
  });

  it('rejects output without the banner, and the common -t output as a mapping', () => {
    expect(() => parseNpuSmiInfo('garbage')).toThrow(FormatError);
    expect(() => parseNpuSmiMapping(fixture('huawei_npu-smi_info_-t_common_-i_gpustack_docstring.txt'))).toThrow(FormatError);
  });
});
