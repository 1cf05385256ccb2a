// Test accelerators shaped like what agent/detect reports.
import type { Accelerator } from '../../../protocol/messages.ts';

export function accelerator(o: { index: number; vendor?: string; driverVersion?: string; nominal?: number }): Accelerator {
  return {
    vendor: o.vendor ?? 'nvidia',
    model: 'NVIDIA H200',
    index: o.index,
    uuid: `GPU-test-${o.index}`,
    pciBusId: `00000000:0${o.index}:00.0`,
    pciId: '10de:2335',
    memoryMib: 143771,
    driverVersion: o.driverVersion ?? '550.54.15',
    firmwareVersion: '',
    health: 'ok',
    domestic: false,
    nominal: o.nominal === undefined ? { basis: 'unknown', source: 'test', kind: 'nominal', weak: false } : { tflops: o.nominal, basis: 'fp16', source: 'test', kind: 'nominal', weak: false },
    detectedBy: 'nvidia-smi',
    note: '',
  };
}
