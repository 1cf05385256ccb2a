// Iluvatar CoreX: `ixsmi`, an nvidia-smi look-alike table.
import { runStep, outcomeOf } from './step.ts';
import { boxBlocks, failureIn, totalOfUsedTotal } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export function parseIxsmi(stdout: string): ParseResult {
  if (!/IX-ML/.test(stdout)) throw new FormatError('no "IX-ML" banner');
  const driver = stdout.match(/Driver Version:\s*(\S+)/)?.[1];
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(.+)$/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]+:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    const failed = failureIn(block);
    devices.push({
      vendor: 'iluvatar',
      model: head[2]!,
      vendorIndex: Number(head[1]),
      pciBusId: bus,
      memoryMib: totalOfUsedTotal(block[1]?.[1])?.total,
      driverVersion: driver,
      health: failed ? 'error' : 'ok',
      note: failed ? `ixsmi reports ${failed}` : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const iluvatarDetector: VendorDetector = {
  vendor: 'iluvatar',
  pciVendorIds: ['1e3e'],
  isPciAccelerator: (fn) => classIn(fn, ['0302', '0380', '12']),
  driverHint: 'install the Iluvatar CoreX driver and SDK (corex, which ships ixsmi)',
  async detect(run) {
    return outcomeOf('ixsmi', await runStep(run, 'ixsmi', [], parseIxsmi));
  },
};
