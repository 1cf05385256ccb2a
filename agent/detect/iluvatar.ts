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

// ---- Telemetry: the `ixsmi` table (the detection call): Temp, Pwr:Usage/Cap, Memory-Usage, GPU-Util ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const parseIxsmiTelemetry = readingsOf('ixsmi', (stdout) => {
  if (!/IX-ML/.test(stdout)) throw new FormatError('no "IX-ML" banner');
  const cards: CardReading[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]+:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    // "0%   33C   P0    N/A / N/A": fan, temperature, perf state, power usage / cap.
    const first = block[1]?.[0] ?? '';
    const power = first.match(/(\S+)\s*\/\s*(\S+)\s*$/);
    const memory = totalOfUsedTotal(block[1]?.[1]);
    const failed = failureIn(block);
    cards.push(
      compact({
        vendorIndex: Number(head[1]),
        busId: bus,
        utilPct: reading(block[1]?.[2]?.split(/\s+/)[0]),
        memoryUsedMib: memory?.used,
        memoryTotalMib: memory?.total,
        temperatureC: reading(first.match(/(\d+(?:\.\d+)?)C\b/)?.[1]),
        powerW: reading(power?.[1]),
        powerLimitW: reading(power?.[2]),
        health: failed ? 'error' : 'ok',
      }),
    );
  }
  return cards;
});

export const iluvatarTelemetry: VendorTelemetry = {
  vendor: 'iluvatar',
  call: (cards) => (cards.tool === 'ixsmi' ? { tool: 'ixsmi', args: [], parse: parseIxsmiTelemetry } : undefined),
};
