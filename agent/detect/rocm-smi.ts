// `rocm-smi … --json` is shipped both by AMD ROCm and by Hygon's DTK: the same parser serves
// both, and each detector keeps the cards whose vendor is its own.
import { identifier, isRecord, parseJson, present, str } from './text.ts';
import { FormatError, type ToolDevice } from './types.ts';

export const ROCM_SMI_ARGS = [
  '--showid',
  '--showmeminfo',
  'vram',
  '--showserial',
  '--showuniqueid',
  '--showproductname',
  '--showbus',
  '--showdriverversion',
  '--json',
] as const;

export interface RocmCard {
  index: number;
  vendorName: string;
  model: string;
  deviceId?: string;
  serial?: string;
  uniqueId?: string;
  busId?: string;
  memoryMib?: number;
  driverVersion?: string;
}

const HYGON_VENDOR = /haiguang|hygon/i;

export function isHygonCard(c: RocmCard): boolean {
  return HYGON_VENDOR.test(c.vendorName);
}

export function parseRocmSmiJson(stdout: string): RocmCard[] {
  const doc = parseJson(stdout, 'rocm-smi --json output');
  if (!isRecord(doc)) throw new FormatError('rocm-smi --json output is not an object');
  const system = doc['system'];
  const driver = isRecord(system) ? present(str(system, 'Driver version')) : undefined;
  const cards: RocmCard[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const m = key.match(/^card(\d+)$/);
    if (!m) continue;
    if (!isRecord(value)) throw new FormatError(`${key} is not an object`);
    const model = present(str(value, 'Card Series')) ?? present(str(value, 'Device Name')) ?? present(str(value, 'Card Model'));
    if (!model) throw new FormatError(`${key} has no "Card Series" or "Device Name"`);
    cards.push({
      index: Number(m[1]),
      vendorName: str(value, 'Card Vendor') ?? '',
      model,
      deviceId: present(str(value, 'Device ID'))?.toLowerCase(),
      serial: identifier(str(value, 'Serial Number')),
      uniqueId: identifier(str(value, 'Unique ID')),
      busId: present(str(value, 'PCI Bus')),
      memoryMib: vramMib(value),
      driverVersion: driver,
    });
  }
  return cards.sort((a, b) => a.index - b.index);
}

// AMD prints bytes ("VRAM Total Memory (B)"), Hygon's DTK MiB ("vram Total Memory (MiB)").
function vramMib(card: Record<string, unknown>): number | undefined {
  const bytes = Number(str(card, 'VRAM Total Memory (B)'));
  if (bytes > 0) return Math.round(bytes / 2 ** 20);
  const mib = Number(str(card, 'vram Total Memory (MiB)'));
  return mib > 0 ? mib : undefined;
}

/** A rocm-smi card as a detected device of the given vendor (rocm-smi reports no health). */
export function rocmCardToDevice(c: RocmCard, vendor: 'amd' | 'hygon'): ToolDevice {
  return {
    vendor,
    model: c.model,
    vendorIndex: c.index,
    uuid: c.uniqueId,
    serial: c.serial,
    pciBusId: c.busId,
    pciDeviceId: c.deviceId,
    memoryMib: c.memoryMib,
    driverVersion: c.driverVersion,
    health: 'ok',
  };
}
