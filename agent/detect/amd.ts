// AMD: `rocm-smi --json` where ROCm ships it, else `amd-smi static --asic` (newer ROCm that
// dropped rocm-smi). Hygon DCUs in rocm-smi's output belong to the Hygon detector.
import { runStep, outcomeOf } from './step.ts';
import { identifier, present } from './text.ts';
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

export const AMD_SMI_ARGS = ['static', '--asic'] as const;

/** `amd-smi static --asic`: "GPU: N" blocks of indented "KEY: value" lines. */
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
    if (rocm.kind !== 'missing') return outcomeOf('rocm-smi', rocm);
    return outcomeOf('amd-smi', await runStep(run, 'amd-smi', AMD_SMI_ARGS, parseAmdSmiStatic));
  },
};
