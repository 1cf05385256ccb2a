// Hygon DCU: the DTK's `rocm-smi --json` (shared with AMD, run once), else `hy-smi`: its table for
// health, `--showmeminfo vram` for memory, `--showproductname --showbus --json` for the model (which
// the catalogue keys on) and the bus id. The three hy-smi calls run in parallel.
import type { Health } from '../../protocol/messages.ts';
import { outcomeOf, runStep } from './step.ts';
import type { ToolResult } from './exec.ts';
import { isHygonCard, parseRocmSmiJson, rocmCardToDevice, ROCM_SMI_ARGS, type RocmCard } from './rocm-smi.ts';
import { identifier } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

const UNNAMED = 'Hygon DCU (model not reported)';

export function parseRocmSmiHygon(stdout: string): ParseResult {
  if (/^DCU\s+Temp/m.test(stdout)) return parseHygonRocmTable(stdout);
  const devices: ToolDevice[] = parseRocmSmiJson(stdout)
    .filter(isHygonCard)
    .map((c) => rocmCardToDevice(c, 'hygon'));
  return { devices, warnings: [] };
}

/** The DTK's plain `rocm-smi` table ("DCU Temp AvgPwr …"): indexes only. */
export function parseHygonRocmTable(stdout: string): ParseResult {
  const devices: ToolDevice[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^(\d+)\s+[\d.]+c\s/i);
    if (m) devices.push({ vendor: 'hygon', model: UNNAMED, vendorIndex: Number(m[1]), health: 'ok' });
  }
  return { devices, warnings: [] };
}

/** `hy-smi` table ("HCU Temp … Mode") plus `hy-smi --showmeminfo vram`. */
export function parseHySmi(table: string, vram: string | undefined): ParseResult {
  if (!/^HCU\s+Temp/m.test(table)) throw new FormatError('no "HCU Temp" header');
  const memory = new Map<number, number>();
  for (const m of (vram ?? '').matchAll(/^HCU\[(\d+)\]\s*:\s*vram Total Memory \(MiB\):\s*(\d+)/gim)) {
    memory.set(Number(m[1]), Number(m[2]));
  }
  const devices: ToolDevice[] = [];
  for (const line of table.split(/\r?\n/)) {
    const cells = line.trim().split(/\s+/);
    if (!/^\d+$/.test(cells[0] ?? '')) continue;
    const index = Number(cells[0]);
    const mode = cells[cells.length - 1] ?? '';
    const health: Health = mode === 'Normal' ? 'ok' : 'warning';
    devices.push({
      vendor: 'hygon',
      model: UNNAMED,
      vendorIndex: index,
      memoryMib: memory.get(index),
      health,
      note: health === 'ok' ? undefined : `hy-smi mode ${mode}`,
    });
  }
  return { devices, warnings: [] };
}

export const HY_SMI_NAME_ARGS = ['--showproductname', '--showbus', '--json'] as const;

/**
 * `hy-smi --showproductname --showbus --json`: the DTK's rocm-smi JSON under hy-smi's name, keyed
 * by card index. Its "PCI Bus" may carry the serial and OAM slot: "0000:05:00.0 --> SN: 25… --> OAM ID: 1".
 */
export function parseHySmiNames(stdout: string): Map<number, RocmCard> {
  const cards = new Map<number, RocmCard>();
  for (const c of parseRocmSmiJson(stdout)) {
    const [bus, ...rest] = (c.busId ?? '').split(/\s*-->\s*/);
    const sn = rest.find((p) => p.startsWith('SN:'))?.slice(3);
    cards.set(c.index, { ...c, busId: bus || undefined, serial: c.serial ?? identifier(sn) });
  }
  return cards;
}

/** The names of hy-smi's cards, or a warning that says why there are none. */
function namesOf(named: ToolResult, warnings: string[]): Map<number, RocmCard> {
  const cmd = `hy-smi ${HY_SMI_NAME_ARGS.join(' ')}`;
  if (!named.ok) {
    warnings.push(`${cmd}: ${named.message}; cards listed without model or bus id`);
    return new Map();
  }
  try {
    return parseHySmiNames(named.stdout);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    warnings.push(`${cmd}: output not understood (${e.message}); cards listed without model or bus id`);
    return new Map();
  }
}

function named(d: ToolDevice, c: RocmCard | undefined): ToolDevice {
  if (!c) return d;
  return { ...d, model: c.model, pciBusId: c.busId ?? d.pciBusId, pciDeviceId: c.deviceId ?? d.pciDeviceId, serial: c.serial ?? d.serial, uuid: c.uniqueId ?? d.uuid };
}

export const hygonDetector: VendorDetector = {
  vendor: 'hygon',
  pciVendorIds: ['1d94'],
  // DCUs have no display output: 0380 or 1200. The vendor id is shared with Hygon CPUs' own
  // functions, and a VGA (0300) with it is the board's display, not a DCU.
  isPciAccelerator: (fn) => classIn(fn, ['0380', '1200']),
  driverHint: 'install the Hygon DTK (hydcu driver; ships hy-smi and rocm-smi)',
  async detect(run) {
    const rocm = await runStep(run, 'rocm-smi', ROCM_SMI_ARGS, parseRocmSmiHygon);
    if (rocm.kind === 'ok' && rocm.result.devices.length > 0) return outcomeOf('rocm-smi', rocm);
    const [table, vram, names] = await Promise.all([run('hy-smi', []), run('hy-smi', ['--showmeminfo', 'vram']), run('hy-smi', HY_SMI_NAME_ARGS)]);
    if (!table.ok && table.missing) {
      // No hy-smi: an AMD host's rocm-smi is not a Hygon problem.
      return rocm.kind === 'failed' && /haiguang|hygon|DCU/i.test(rocm.stdout)
        ? outcomeOf('rocm-smi', rocm)
        : { devices: [], warnings: [], toolMissing: true, tool: 'hy-smi' };
    }
    return outcomeOf(
      'hy-smi',
      await runStep(run, 'hy-smi', [], (out) => {
        const parsed = parseHySmi(out, vram.ok ? vram.stdout : undefined);
        const warnings = vram.ok ? [...parsed.warnings] : [...parsed.warnings, `hy-smi --showmeminfo vram: ${vram.message}`];
        const byIndex = namesOf(names, warnings);
        return { devices: parsed.devices.map((d) => named(d, byIndex.get(d.vendorIndex))), warnings };
      }),
    );
  },
};

// ---- Telemetry: the DTK's `rocm-smi … --json` (shared with AMD), else the `hy-smi` table ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { hygonTableReadings, rocmSmiReadings, ROCM_SMI_TELEMETRY_ARGS } from './rocm-smi.ts';
import { readingsOf, type VendorTelemetry } from './readings.ts';

export const parseRocmSmiTelemetryHygon = readingsOf('rocm-smi --json', (stdout) => rocmSmiReadings(stdout, 'hygon'));
export const parseHySmiTelemetry = readingsOf('hy-smi', hygonTableReadings);

export const hygonTelemetry: VendorTelemetry = {
  vendor: 'hygon',
  call: (cards) =>
    cards.tool === 'rocm-smi'
      ? { tool: 'rocm-smi', args: ROCM_SMI_TELEMETRY_ARGS, parse: parseRocmSmiTelemetryHygon }
      : cards.tool === 'hy-smi'
        ? { tool: 'hy-smi', args: [], parse: parseHySmiTelemetry }
        : undefined,
};
