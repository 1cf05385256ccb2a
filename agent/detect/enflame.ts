// Enflame: `efsmi` table; two rows per device ("DEV NAME | FW VER | BUS-ID ECC" over
// "TEMP Dpm Pwr | Mem GCU Virt | DUsed SN").
import { runStep, outcomeOf } from './step.ts';
import { boxBlocks, failureIn, identifier } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export function parseEfsmi(stdout: string): ParseResult {
  const banner = stdout.match(/EFSMI\s+V?(\S+)\s+Driver Ver:\s*(\S+)/);
  if (!banner) throw new FormatError('no "EFSMI V… Driver Ver: …" banner');
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(\S.*)$/);
    const bus = block[0]?.[2]?.split(/\s+/)[0];
    if (!head || !bus || !/^[0-9A-Fa-f:]+:[0-9A-Fa-f]{2}\.\d$/.test(bus)) continue;
    const memory = Number(block[1]?.[1]?.match(/^(\d+)\s*MiB/)?.[1]);
    const failed = failureIn(block, /ERR!?|Error|Fault/i);
    devices.push({
      vendor: 'enflame',
      model: head[2]!,
      vendorIndex: Number(head[1]),
      serial: identifier(block[1]?.[2]?.split(/\s+/).pop()),
      pciBusId: bus,
      memoryMib: memory > 0 ? memory : undefined,
      driverVersion: banner[2],
      firmwareVersion: block[0]?.[1],
      health: failed ? 'error' : 'ok',
      note: failed ? `efsmi reports ${failed}` : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const enflameDetector: VendorDetector = {
  vendor: 'enflame',
  pciVendorIds: ['1e36'],
  isPciAccelerator: (fn) => classIn(fn, ['12', '0380']),
  driverHint: 'install the Enflame GCU driver (enflame driver package / TopsRider, which ships efsmi)',
  async detect(run) {
    return outcomeOf('efsmi', await runStep(run, 'efsmi', [], parseEfsmi));
  },
};

// ---- Telemetry: the `efsmi` table (the detection call): TEMP, Pwr(Usage/Cap), DUsed ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

/** efsmi's table prints total memory only ("49120MiB"): used memory stays absent. */
export const parseEfsmiTelemetry = readingsOf('efsmi', (stdout) => {
  if (!/EFSMI\s+V?\S+\s+Driver Ver:/.test(stdout)) throw new FormatError('no "EFSMI V… Driver Ver: …" banner');
  const cards: CardReading[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+\S/);
    const bus = block[0]?.[2]?.split(/\s+/)[0];
    if (!head || !bus || !/^[0-9A-Fa-f:]+:[0-9A-Fa-f]{2}\.\d$/.test(bus)) continue;
    // "39 C   Sleep    105W  300W": temperature, power state, power usage and cap.
    const m = (block[1]?.[0] ?? '').match(/^(\S+)\s*C\s+\S+\s+(\S+?)W?\s+(\S+?)W?$/);
    const total = Number(block[1]?.[1]?.match(/^(\d+)\s*MiB/)?.[1]);
    const failed = failureIn(block, /ERR!?|Error|Fault/i);
    cards.push(
      compact({
        vendorIndex: Number(head[1]),
        busId: bus,
        utilPct: reading(block[1]?.[2]?.split(/\s+/)[0]),
        memoryTotalMib: total > 0 ? total : undefined,
        temperatureC: reading(m?.[1]),
        powerW: reading(m?.[2]),
        powerLimitW: reading(m?.[3]),
        health: failed ? 'error' : 'ok',
      }),
    );
  }
  return cards;
});

export const enflameTelemetry: VendorTelemetry = {
  vendor: 'enflame',
  call: (cards) => (cards.tool === 'efsmi' ? { tool: 'efsmi', args: [], parse: parseEfsmiTelemetry } : undefined),
};
