// MetaX: `mx-smi` table; driver and BIOS versions come from its banner.
import { runStep, outcomeOf } from './step.ts';
import { boxBlocks, failureIn, totalOfUsedTotal } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export function parseMxSmi(stdout: string): ParseResult {
  if (!/MX-SMI/.test(stdout)) throw new FormatError('no "MX-SMI" banner');
  const driver = stdout.match(/Kernel Mode Driver Version:\s*(\S+)/)?.[1];
  const bios = stdout.match(/BIOS Version:\s*(\S+)/)?.[1];
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(\S.*)$/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    const failed = failureIn(block, /ERR!|Error/i);
    devices.push({
      vendor: 'metax',
      model: head[2]!,
      vendorIndex: Number(head[1]),
      pciBusId: bus,
      memoryMib: totalOfUsedTotal(block[1]?.[1])?.total,
      driverVersion: driver,
      firmwareVersion: bios,
      health: failed ? 'error' : 'ok',
      note: failed ? `mx-smi reports ${failed}` : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const metaxDetector: VendorDetector = {
  vendor: 'metax',
  pciVendorIds: ['9999'],
  isPciAccelerator: (fn) => classIn(fn, ['0302', '0380', '12']),
  driverHint: 'install the MetaX driver and MACA (metax-driver, which ships mx-smi)',
  async detect(run) {
    return outcomeOf('mx-smi', await runStep(run, 'mx-smi', [], parseMxSmi));
  },
};

// ---- Telemetry: the `mx-smi` table (the detection call): GPU-Util, Temp, Power, Memory-Usage ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const parseMxSmiTelemetry = readingsOf('mx-smi', (stdout) => {
  if (!/MX-SMI/.test(stdout)) throw new FormatError('no "MX-SMI" banner');
  const cards: CardReading[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+\S/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    const [temp, power] = (block[1]?.[0] ?? '').split(/\s+/);
    const memory = totalOfUsedTotal(block[1]?.[1]);
    const failed = failureIn(block, /ERR!|Error/i);
    cards.push(
      compact({
        vendorIndex: Number(head[1]),
        busId: bus,
        utilPct: reading(block[0]?.[2]),
        memoryUsedMib: memory?.used,
        memoryTotalMib: memory?.total,
        temperatureC: reading(temp),
        powerW: reading(power),
        health: failed ? 'error' : 'ok',
      }),
    );
  }
  return cards;
});

export const metaxTelemetry: VendorTelemetry = {
  vendor: 'metax',
  call: (cards) => (cards.tool === 'mx-smi' ? { tool: 'mx-smi', args: [], parse: parseMxSmiTelemetry } : undefined),
};
