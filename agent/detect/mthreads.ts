// Moore Threads: `mthreads-gmi` table ("ID Name |PCIe |%GPU Mem"), memory printed as
// "used(total)". Used above total is a known IOMMU fault symptom: a warning, not a crash.
import type { Health } from '../../protocol/messages.ts';
import { runStep, outcomeOf } from './step.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export function parseMthreadsGmi(stdout: string): ParseResult {
  const banner = stdout.match(/mthreads-gmi:\s*(\S+)\s+Driver Version:\s*(\S+)/);
  if (!banner) throw new FormatError('no "mthreads-gmi:<v> Driver Version:<v>" banner');
  const devices: ToolDevice[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^(\d+)\s+(.+?)\s*\|\s*([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s*\|\s*(\S+)\s+(\d+)MiB\((\d+)MiB\)/);
    if (!m) continue;
    const [used, total] = [Number(m[5]), Number(m[6])];
    const failed = /ERR/i.test(m[4]!);
    const health: Health = failed ? 'error' : used > total ? 'warning' : 'ok';
    devices.push({
      vendor: 'mthreads',
      model: m[2]!,
      vendorIndex: Number(m[1]),
      pciBusId: m[3],
      memoryMib: total,
      driverVersion: banner[2],
      health,
      note: failed
        ? `mthreads-gmi reports ${m[4]}`
        : used > total
          ? `memory used ${used} MiB exceeds total ${total} MiB: check IOMMU settings (Moore Threads FAQ)`
          : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const mthreadsDetector: VendorDetector = {
  vendor: 'mthreads',
  pciVendorIds: ['1ed5'],
  // MTT cards are VGA functions (they drive displays); their HD audio (0403) is not a card.
  isPciAccelerator: (fn) => classIn(fn, ['0300', '0302', '0380', '12']),
  driverHint: 'install the Moore Threads MUSA driver (musa driver package, which ships mthreads-gmi)',
  async detect(run) {
    return outcomeOf('mthreads-gmi', await runStep(run, 'mthreads-gmi', [], parseMthreadsGmi));
  },
};

// ---- Telemetry: the `mthreads-gmi` table (the detection call): %GPU, Mem used(total), Temp ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const parseMthreadsGmiTelemetry = readingsOf('mthreads-gmi', (stdout) => {
  if (!/mthreads-gmi:\s*\S+\s+Driver Version:/.test(stdout)) throw new FormatError('no "mthreads-gmi:<v> Driver Version:<v>" banner');
  const cards: CardReading[] = [];
  const lines = stdout.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = line.match(/^(\d+)\s+.+?\s*\|\s*([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s*\|\s*(\S+)\s+(\d+)MiB\((\d+)MiB\)/);
    if (!m) return;
    // The next line: "Physical |16x(16x) |65C YES".
    const temp = lines[i + 1]?.split('|')[2]?.trim().split(/\s+/)[0];
    const [used, total] = [Number(m[4]), Number(m[5])];
    const failed = /ERR/i.test(m[3]!);
    cards.push(
      compact({
        vendorIndex: Number(m[1]),
        busId: m[2],
        utilPct: reading(m[3]),
        memoryUsedMib: used,
        memoryTotalMib: total,
        temperatureC: reading(temp),
        health: failed ? 'error' : used > total ? 'warning' : 'ok',
      }),
    );
  });
  return cards;
});

export const mthreadsTelemetry: VendorTelemetry = {
  vendor: 'mthreads',
  call: (cards) => (cards.tool === 'mthreads-gmi' ? { tool: 'mthreads-gmi', args: [], parse: parseMthreadsGmiTelemetry } : undefined),
};
