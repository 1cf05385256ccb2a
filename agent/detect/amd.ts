// AMD: `rocm-smi --json` where ROCm ships it; when rocm-smi is missing or fails (non-zero exit,
// garbage, timeout), `amd-smi static --asic --bus --vram --json` (newer ROCm deprecates rocm-smi).
// Hygon DCUs in rocm-smi's output belong to the Hygon detector.
import { runStep, outcomeOf } from './step.ts';
import { identifier, isRecord, parseJson, present, str } from './text.ts';
import { isHygonCard, parseRocmSmiJson, rocmCardToDevice, ROCM_SMI_ARGS } from './rocm-smi.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn, deviceIn } from './pci.ts';

export function parseRocmSmiAmd(stdout: string): ParseResult {
  // Hygon DTK's plain table: not ours, and no AMD cards in it.
  if (/^DCU\s+Temp/m.test(stdout)) return { devices: [], warnings: [] };
  const devices: ToolDevice[] = parseRocmSmiJson(stdout)
    .filter((c) => !isHygonCard(c))
    .map((c) => rocmCardToDevice(c, 'amd'));
  return { devices, warnings: [] };
}

export const AMD_SMI_ARGS = ['static', '--asic', '--bus', '--vram', '--json'] as const;

/** `amd-smi static … --json`: an array of GPUs (ROCm ≤ 6.2) or `{"gpu_data": [...]}` (later). */
export function parseAmdSmiStaticJson(stdout: string): ParseResult {
  const doc = parseJson(stdout, 'amd-smi static --json output');
  const list = Array.isArray(doc) ? doc : isRecord(doc) ? doc['gpu_data'] : undefined;
  if (!Array.isArray(list)) throw new FormatError('neither a GPU array nor "gpu_data"');
  const devices = list.map((g, i): ToolDevice => {
    if (!isRecord(g)) throw new FormatError(`GPU entry ${i} is not an object`);
    const asic = isRecord(g['asic']) ? g['asic'] : {};
    const model = present(str(asic, 'market_name'));
    if (!model) throw new FormatError(`GPU entry ${i} has no asic.market_name`);
    const index = Number(str(g, 'gpu') ?? i);
    return {
      vendor: 'amd',
      model,
      vendorIndex: Number.isInteger(index) ? index : i,
      serial: identifier(str(asic, 'asic_serial')),
      pciBusId: isRecord(g['bus']) ? present(str(g['bus'], 'bdf')) : undefined,
      pciDeviceId: present(str(asic, 'device_id'))?.toLowerCase(),
      memoryMib: isRecord(g['vram']) ? mibOf(g['vram']['size']) : undefined,
      health: 'ok',
    };
  });
  return { devices, warnings: [] };
}

// amd-smi says "MB" for what are MiB (8176 on an 8 GiB card); older builds print "8176 MB".
const TO_MIB: Record<string, number> = { B: 2 ** -20, KB: 2 ** -10, MB: 1, GB: 1024 };

function mibOf(size: unknown): number | undefined {
  const [value, unit] = isRecord(size)
    ? [Number(str(size, 'value')), str(size, 'unit') ?? 'MB']
    : [Number(String(size ?? '').match(/^\s*([\d.]+)/)?.[1]), String(size ?? '').match(/[A-Z]+\s*$/i)?.[0]?.trim() ?? 'MB'];
  const mib = value * (TO_MIB[unit.toUpperCase()] ?? NaN);
  return mib > 0 ? Math.round(mib) : undefined;
}

/** amd-smi's JSON, or its text form from builds that ignore --json. */
export function parseAmdSmi(stdout: string): ParseResult {
  return /^\s*[[{]/.test(stdout) ? parseAmdSmiStaticJson(stdout) : parseAmdSmiStatic(stdout);
}

/** `amd-smi static --asic [--bus --vram]` text: "GPU: N" blocks of indented "KEY: value" lines. */
export function parseAmdSmiStatic(stdout: string): ParseResult {
  const devices: ToolDevice[] = [];
  const chunks = stdout.split(/^GPU:\s*/m).slice(1);
  if (chunks.length === 0 && stdout.trim() !== '') throw new FormatError('no "GPU: N" block');
  for (const chunk of chunks) {
    const [first, ...rest] = chunk.split(/\r?\n/);
    const fields = new Map<string, string>();
    for (const line of rest) {
      const m = line.match(/^\s+([A-Z0-9_]+):\s*(.*)$/);
      if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!.trim());
    }
    const model = present(fields.get('MARKET_NAME'));
    if (!model) throw new FormatError(`GPU ${first} has no MARKET_NAME`);
    devices.push({
      vendor: 'amd',
      model,
      vendorIndex: Number(first),
      serial: identifier(fields.get('ASIC_SERIAL')),
      pciBusId: present(fields.get('BDF')),
      pciDeviceId: present(fields.get('DEVICE_ID'))?.toLowerCase(),
      memoryMib: fields.has('SIZE') ? mibOf(fields.get('SIZE')) : undefined,
      health: 'ok',
    });
  }
  return { devices, warnings: [] };
}

// Radeon graphics built into Ryzen/EPYC APUs (device ids from pci.ids): display for the box, not
// an accelerator to count. Instinct cards are 0380/1200, Radeon (Pro) cards 0300.
const AMD_APU_GRAPHICS = ['13c0', '1435', '1506', '150e', '15bf', '15c8', '15d8', '15dd', '15e7', '1636', '1638', '163f', '164c', '164e', '1681'];

export const amdDetector: VendorDetector = {
  vendor: 'amd',
  pciVendorIds: ['1002'],
  isPciAccelerator: (fn) => classIn(fn, ['0300', '0380', '1200']) && !deviceIn(fn, AMD_APU_GRAPHICS),
  driverHint: 'install ROCm (amdgpu-dkms and rocm-smi-lib or amd-smi-lib)',
  async detect(run) {
    const rocm = await runStep(run, 'rocm-smi', ROCM_SMI_ARGS, parseRocmSmiAmd);
    if (rocm.kind === 'ok') return outcomeOf('rocm-smi', rocm);
    const amd = await runStep(run, 'amd-smi', AMD_SMI_ARGS, parseAmdSmi);
    if (amd.kind === 'ok') return outcomeOf('amd-smi', amd);
    if (amd.kind === 'missing') return outcomeOf('rocm-smi', rocm);
    const out = outcomeOf('amd-smi', amd);
    return rocm.kind === 'failed' ? { ...out, warnings: [rocm.warning, ...out.warnings] } : out;
  },
};

// ---- Telemetry: `rocm-smi … --json` (one call per interval, shared with Hygon's cards) ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { rocmSmiReadings, ROCM_SMI_TELEMETRY_ARGS } from './rocm-smi.ts';
import { readingsOf, type VendorTelemetry } from './readings.ts';

export const parseRocmSmiTelemetryAmd = readingsOf('rocm-smi --json', (stdout) => rocmSmiReadings(stdout, 'amd'));

export const amdTelemetry: VendorTelemetry = {
  vendor: 'amd',
  // amd-smi's metric output is not parsed yet: cards detected through it have no readings.
  call: (cards) => (cards.tool === 'rocm-smi' ? { tool: 'rocm-smi', args: ROCM_SMI_TELEMETRY_ARGS, parse: parseRocmSmiTelemetryAmd } : undefined),
};
