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

// ---- Telemetry: one `rocm-smi … --json` per interval serves AMD and Hygon cards alike ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, type CardReading } from './readings.ts';

export const ROCM_SMI_TELEMETRY_ARGS = [
  '--showuse',
  '--showmeminfo',
  'vram',
  '--showtemp',
  '--showpower',
  '--showmaxpower',
  '--showproductname',
  '--showbus',
  '--json',
] as const;

/**
 * Readings of one vendor's cards in `rocm-smi … --json` (AMD prints bytes and "GPU use (%)",
 * Hygon's DTK MiB and "DCU use (%)"; MI300 reports a socket power and no edge sensor). The DTK's
 * plain table ("DCU Temp AvgPwr …") is read too: some DTK builds ignore --json.
 */
export function rocmSmiReadings(stdout: string, vendor: 'amd' | 'hygon'): CardReading[] {
  if (/^[DH]CU\s+Temp/m.test(stdout)) return vendor === 'hygon' ? hygonTableReadings(stdout) : [];
  const doc = parseJson(stdout, 'rocm-smi --json output');
  if (!isRecord(doc)) throw new FormatError('rocm-smi --json output is not an object');
  const cards: CardReading[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const m = key.match(/^card(\d+)$/);
    if (!m) continue;
    if (!isRecord(value)) throw new FormatError(`${key} is not an object`);
    const isHygon = HYGON_VENDOR.test(str(value, 'Card Vendor') ?? '');
    if (isHygon !== (vendor === 'hygon')) continue;
    const bytes = (k: string) => {
      const b = reading(str(value, k));
      return b === undefined ? undefined : Math.round(b / 2 ** 20);
    };
    const field = (...keys: string[]) => {
      for (const k of keys) {
        const v = reading(str(value, k));
        if (v !== undefined) return v;
      }
      return undefined;
    };
    cards.push(
      compact({
        vendorIndex: Number(m[1]),
        busId: present(str(value, 'PCI Bus')),
        utilPct: field('GPU use (%)', 'DCU use (%)'),
        memoryUsedMib: bytes('VRAM Total Used Memory (B)') ?? field('vram Total Used Memory (MiB)'),
        memoryTotalMib: bytes('VRAM Total Memory (B)') ?? field('vram Total Memory (MiB)'),
        temperatureC: field('Temperature (Sensor edge) (C)', 'Temperature (Sensor junction) (C)'),
        powerW: field('Average Graphics Package Power (W)', 'Current Socket Graphics Package Power (W)'),
        powerLimitW: field('Max Graphics Package Power (W)'),
        // rocm-smi reports no health: the card answered, which is all it says.
        health: 'ok',
      }),
    );
  }
  return cards.sort((a, b) => a.vendorIndex - b.vendorIndex);
}

/**
 * Hygon's tables, `hy-smi` ("HCU Temp AvgPwr Perf PwrCap VRAM% HCU% Mode") and the DTK's plain
 * `rocm-smi` ("DCU Temp AvgPwr Fan Perf PwrCap VRAM% DCU%"), read by header name. VRAM% is too
 * coarse for MiB, so memory stays absent.
 */
export function hygonTableReadings(stdout: string): CardReading[] {
  const lines = stdout.split(/\r?\n/);
  const at = lines.findIndex((l) => /^[DH]CU\s+Temp/.test(l));
  if (at < 0) throw new FormatError('no "HCU Temp" or "DCU Temp" header');
  const header = lines[at]!.trim().split(/\s+/);
  const col = (name: string) => header.indexOf(name);
  const [temp, power, cap, util, mode] = [col('Temp'), col('AvgPwr'), col('PwrCap'), Math.max(col('HCU%'), col('DCU%')), col('Mode')];
  const cards: CardReading[] = [];
  for (const line of lines.slice(at + 1)) {
    const cells = line.trim().split(/\s+/);
    if (!/^\d+$/.test(cells[0] ?? '')) continue;
    if (cells.length !== header.length) throw new FormatError(`row "${line.trim().slice(0, 60)}" has ${cells.length} cells, header has ${header.length}`);
    const get = (i: number) => (i < 0 ? undefined : cells[i]);
    const modeWord = get(mode);
    cards.push(
      compact({
        vendorIndex: Number(cells[0]),
        temperatureC: reading(get(temp)),
        powerW: reading(get(power)),
        powerLimitW: reading(get(cap)),
        utilPct: reading(get(util)),
        health: modeWord === undefined || modeWord === 'Normal' ? 'ok' : 'warning',
      }),
    );
  }
  return cards;
}
