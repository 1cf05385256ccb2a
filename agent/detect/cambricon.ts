// Cambricon: `cnmon`. Its JSON mode writes a file into the working directory, so the table is
// read instead: "Card VF Name Firmware | Bus-Id | Util Ecc-Error" over "… | Memory-Usage | …".
import { runStep, outcomeOf } from './step.ts';
import { boxBlocks, failureIn, totalOfUsedTotal } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export function parseCnmon(stdout: string): ParseResult {
  const banner = stdout.match(/CNMON\s+v?(\S+)\s+Driver\s+v?(\S+)/);
  if (!banner) throw new FormatError('no "CNMON v… Driver v…" banner');
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(\S+)\s+(\S+)\s+(\S+)$/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    const ecc = Number(block[0]?.[2]?.split(/\s+/)[1]);
    const failed = failureIn(block, /ERR!|Error/i);
    const health = failed ? 'error' : ecc > 0 ? 'warning' : 'ok';
    devices.push({
      vendor: 'cambricon',
      model: head[3]!,
      vendorIndex: Number(head[1]),
      pciBusId: bus,
      memoryMib: totalOfUsedTotal(block[1]?.[1])?.total,
      driverVersion: banner[2],
      firmwareVersion: head[4]!.replace(/^v/, ''),
      health,
      note: failed ? `cnmon reports ${failed}` : ecc > 0 ? `${ecc} ECC errors` : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const cambriconDetector: VendorDetector = {
  vendor: 'cambricon',
  pciVendorIds: ['cabc'],
  // MLU cards are processing accelerators; Cambricon makes no other PCI functions.
  isPciAccelerator: (fn) => classIn(fn, ['12', '0380']),
  driverHint: 'install the Cambricon MLU driver (cambricon-mlu-driver, which ships cnmon)',
  async detect(run) {
    return outcomeOf('cnmon', await runStep(run, 'cnmon', [], parseCnmon));
  },
};

// ---- Telemetry: the `cnmon` table (the detection call): Util, Temp, Pwr:Usage/Cap, Memory-Usage ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const parseCnmonTelemetry = readingsOf('cnmon', (stdout) => {
  if (!/CNMON\s+v?\S+\s+Driver/.test(stdout)) throw new FormatError('no "CNMON v… Driver v…" banner');
  const cards: CardReading[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+/);
    const bus = block[0]?.[1];
    if (!head || !bus || !/^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:/.test(bus)) continue;
    const [util, ecc] = (block[0]?.[2] ?? '').split(/\s+/);
    const second = block[1]?.[0] ?? '';
    const power = second.match(/(\S+)\s*W\s*\/\s*(\S+)\s*W/);
    const memory = totalOfUsedTotal(block[1]?.[1]);
    const failed = failureIn(block, /ERR!|Error/i);
    cards.push(
      compact({
        vendorIndex: Number(head[1]),
        busId: bus,
        utilPct: reading(util),
        memoryUsedMib: memory?.used,
        memoryTotalMib: memory?.total,
        temperatureC: reading(second.match(/(\d+(?:\.\d+)?)C\b/)?.[1]),
        powerW: reading(power?.[1]),
        powerLimitW: reading(power?.[2]),
        health: failed ? 'error' : Number(ecc) > 0 ? 'warning' : 'ok',
      }),
    );
  }
  return cards;
});

export const cambriconTelemetry: VendorTelemetry = {
  vendor: 'cambricon',
  call: (cards) => (cards.tool === 'cnmon' ? { tool: 'cnmon', args: [], parse: parseCnmonTelemetry } : undefined),
};
