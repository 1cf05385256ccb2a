// Huawei Ascend: `npu-smi info` (one device per chip: health, bus id, memory) joined with
// `npu-smi info -m` (the full chip names, e.g. "Ascend 910B3", that the catalogue keys on).
import type { Health } from '../../protocol/messages.ts';
import { runStep, outcomeOf } from './step.ts';
import { boxBlocks, isMasked } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn, deviceIn } from './pci.ts';

const HEALTH: Record<string, Health> = { OK: 'ok', Warning: 'warning', Alarm: 'error', Critical: 'error' };

/** Chip names from `npu-smi info -m`, keyed "npu/chip"; masked names ("Ascend xxx") and MCUs left out. */
export function parseNpuSmiMapping(stdout: string): Map<string, string> {
  if (!/NPU ID\s+Chip ID/.test(stdout)) throw new FormatError('no "NPU ID  Chip ID" header');
  const names = new Map<string, string>();
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^\s*(\d+)\s+(\d+)\s+(\d+|-)\s+(.+?)\s*$/);
    if (!m || m[3] === '-' || isMasked(m[4]!)) continue;
    names.set(`${m[1]}/${m[2]}`, m[4]!);
  }
  return names;
}

/** `npu-smi info`; `names` from {@link parseNpuSmiMapping} refine the short table names. */
export function parseNpuSmiInfo(stdout: string, names: ReadonlyMap<string, string> = new Map()): ParseResult {
  const version = stdout.match(/npu-smi\s+\S+\s+Version:\s*(\S+)/);
  if (!version) throw new FormatError('no "npu-smi <v> Version: <v>" banner');
  const devices: ToolDevice[] = [];
  const warnings: string[] = [];
  for (const c of chipRows(stdout)) {
    const health = HEALTH[c.healthWord] ?? 'unknown';
    if (!(c.healthWord in HEALTH)) warnings.push(`npu-smi: NPU ${c.npu} chip ${c.chipId} health "${c.healthWord}" is not one we know`);
    const hbm = c.memory[1]?.total ?? 0;
    const ddr = c.memory[0]?.total ?? 0;
    const full = names.get(`${c.npu}/${c.chipId}`);
    devices.push({
      vendor: 'huawei',
      model: full ?? `Ascend ${c.name}`,
      vendorIndex: c.npu,
      pciBusId: c.bus,
      memoryMib: hbm > 0 ? hbm : ddr > 0 ? ddr : undefined,
      driverVersion: version[1],
      health,
      // Only multi-chip cards (Atlas 300I: "Chip Device") need the chip named.
      note: [c.multiChip ? `NPU ${c.npu} chip ${c.chipId}` : '', health === 'ok' ? '' : `npu-smi health ${c.healthWord}`].filter(Boolean).join('; ') || undefined,
    });
  }
  return { devices, warnings };
}

/** One chip of `npu-smi info`'s table, as detection and telemetry both read it. */
interface ChipRow {
  npu: number;
  name: string;
  chipId: number;
  /** Atlas 300I style "Chip Device": several chips share the NPU id (and the card's power figure). */
  multiChip: boolean;
  bus: string;
  healthWord: string;
  /** The cells after Health on the top row: "Power(W)  Temp(C)  …". */
  powerTemp: string;
  /** The cells after Bus-Id on the bottom row: "AICore(%)  Memory-Usage  HBM-Usage". */
  usage: string;
  /** "used / total" pairs of the usage cell, MiB: DDR, then HBM on training chips. */
  memory: { used: number; total: number }[];
}

/** A chip is two rows: "NPU Name | Health | Power Temp …" and "Chip [Device] | Bus-Id | AICore Memory HBM". */
function* chipRows(stdout: string): Generator<ChipRow> {
  for (const block of boxBlocks(stdout)) {
    for (let i = 0; i + 1 < block.length; i += 2) {
      const [top, bottom] = [block[i]!, block[i + 1]!];
      const head = top[0]?.match(/^(\d+)\s+(\S+)$/);
      const chip = bottom[0]?.match(/^(\d+)(?:\s+(\d+))?$/);
      const bus = bottom[1];
      if (!head || !chip || !bus || !/^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:/.test(bus)) continue;
      const usage = bottom[2] ?? '';
      yield {
        npu: Number(head[1]),
        name: head[2]!,
        chipId: Number(chip[1]),
        multiChip: chip[2] !== undefined,
        bus,
        healthWord: top[1] ?? '',
        powerTemp: top[2] ?? '',
        usage,
        memory: [...usage.matchAll(/(\d+)\s*\/\s*(\d+)/g)].map((m) => ({ used: Number(m[1]), total: Number(m[2]) })),
      };
    }
  }
}

// Ascend NPUs: 310 (d100), 310B (d105), 310P (d500), 910 (d801), 910B (d802), 910 93 (d803).
// Huawei boards also carry the Hi171x BMC's VGA (19e5:1711, 0300) and Kunpeng CPU engines
// (ZIP, SEC, HPRE) under the same vendor id: only these device ids are NPUs.
const ASCEND_NPUS = ['d100', 'd105', 'd500', 'd801', 'd802', 'd803'];

export const huaweiDetector: VendorDetector = {
  vendor: 'huawei',
  pciVendorIds: ['19e5'],
  isPciAccelerator: (fn) => classIn(fn, ['12']) && deviceIn(fn, ASCEND_NPUS),
  driverHint: 'install the Ascend NPU driver and firmware (Ascend-hdk-<chip>-npu-driver, which ships npu-smi)',
  async detect(run) {
    // Both calls start now, in parallel; the runner hands the same `npu-smi info` to the step below.
    const [mapping] = await Promise.all([run('npu-smi', ['info', '-m']), run('npu-smi', ['info'])]);
    let names = new Map<string, string>();
    const warnings: string[] = [];
    if (mapping.ok) {
      try {
        names = parseNpuSmiMapping(mapping.stdout);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        warnings.push(`npu-smi info -m: output not understood (${e.message}); chip names from npu-smi info only`);
      }
    } else if (mapping.missing) {
      return { devices: [], warnings: [], toolMissing: true, tool: 'npu-smi' };
    } else if (/timed out/.test(mapping.message)) {
      // A hung npu-smi would hang twice; the same warning is enough.
      return { devices: [], warnings: [mapping.message], toolMissing: false, tool: 'npu-smi' };
    } else warnings.push(`npu-smi info -m: ${mapping.message}; chip names from npu-smi info only`);
    const out = outcomeOf('npu-smi', await runStep(run, 'npu-smi', ['info'], (s) => parseNpuSmiInfo(s, names)));
    return { ...out, warnings: [...warnings, ...out.warnings] };
  },
};

// ---- Telemetry: `npu-smi info` (the detection call: power, temperature, AI Core % and memory per chip) ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

/**
 * Readings per chip, keyed by NPU id and bus id (the chips of one Atlas 300I card share an NPU id).
 * Power(W) is the card's: a multi-chip card's chips each print the card's figure, so there it is
 * left absent rather than counted once per chip.
 */
export const parseNpuSmiTelemetry = readingsOf('npu-smi info', (stdout) => {
  if (!/npu-smi\s+\S+\s+Version:/.test(stdout)) throw new FormatError('no "npu-smi <v> Version: <v>" banner');
  const cards: CardReading[] = [];
  for (const c of chipRows(stdout)) {
    const [power, temp] = c.powerTemp.split(/\s+/);
    const [aicore] = c.usage.split(/\s+/);
    // HBM on training chips, else DDR.
    const memory = c.memory[1] && c.memory[1].total > 0 ? c.memory[1] : c.memory[0] && c.memory[0].total > 0 ? c.memory[0] : undefined;
    cards.push(
      compact({
        vendorIndex: c.npu,
        busId: c.bus,
        utilPct: reading(aicore),
        memoryUsedMib: memory?.used,
        memoryTotalMib: memory?.total,
        temperatureC: reading(temp),
        powerW: c.multiChip ? undefined : reading(power),
        health: HEALTH[c.healthWord] ?? 'unknown',
      }),
    );
  }
  return cards;
});

export const huaweiTelemetry: VendorTelemetry = {
  vendor: 'huawei',
  call: (cards) => (cards.tool === 'npu-smi' ? { tool: 'npu-smi', args: ['info'], parse: parseNpuSmiTelemetry } : undefined),
};
