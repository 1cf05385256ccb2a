// Kunlunxin: `xpu-smi -q` (P800 and newer drivers), the legacy `xpu_smi` table (R200/R300).
// Intel also ships an xpu-smi: when the output is Intel's, this detector has found nothing.
import type { Health } from '../../protocol/messages.ts';
import { runStep, outcomeOf } from './step.ts';
import { KUNLUNXIN_QUERY_ARGS, xpuSmiFlavour } from './xpu-smi.ts';
import { boxBlocks, deviceIdOfCombined, identifier, keyValues, present, toInt, totalOfUsedTotal } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

/** `xpu-smi -q`: a "XPU <bus id>" section per device with indented "Key : value" lines. */
export function parseKunlunxinQuery(stdout: string): ParseResult {
  if (!/XPUSMI LOG/.test(stdout)) throw new FormatError('no "XPUSMI LOG" banner');
  const driver = present(stdout.match(/^Driver Version\s*:\s*(.*)$/m)?.[1]);
  const sections = stdout.split(/^XPU (?=[0-9A-Fa-f]+:)/m).slice(1);
  const devices: ToolDevice[] = sections.map((section) => {
    const lines = section.split(/\r?\n/);
    const kv = keyValues(lines.slice(1));
    const after = (heading: string, key: string) => {
      const start = lines.findIndex((l) => l.trim() === heading);
      return start < 0 ? undefined : keyValues(lines.slice(start + 1)).get(key);
    };
    const uncorrectable = Number(after('Volatile', 'DRAM Uncorrectable') ?? 0);
    const health: Health = uncorrectable > 0 ? 'warning' : 'ok';
    const memory = Number(after('Memory Usage', 'Total')?.replace(/\s*MiB$/, ''));
    return {
      vendor: 'kunlunxin',
      model: present(kv.get('Product Name')) ?? 'Kunlunxin XPU',
      vendorIndex: toInt(kv.get('Minor Number'), 'xpu-smi Minor Number'),
      uuid: identifier(kv.get('XPU UUID')),
      serial: identifier(kv.get('Serial Number')),
      pciBusId: present(kv.get('Bus Id')) ?? lines[0]?.trim(),
      pciDeviceId: deviceIdOfCombined(kv.get('Device Id')),
      memoryMib: memory > 0 ? memory : undefined,
      driverVersion: driver,
      firmwareVersion: present(after('Firmware Version', 'ALL Version')),
      health,
      note: health === 'ok' ? undefined : `${uncorrectable} uncorrectable DRAM errors since boot`,
    };
  });
  return { devices, warnings: [] };
}

/** The plain `xpu-smi` box table (P800 OAM). */
export function parseKunlunxinTable(stdout: string): ParseResult {
  if (!/XPU-SMI/.test(stdout)) throw new FormatError('no "XPU-SMI" banner');
  const driver = stdout.match(/Driver Version:\s*(\S+)/)?.[1];
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(.+?)\s+(?:N\/A|On|Off)$/);
    const bus = block[0]?.[1]?.split(/\s+/)[0];
    if (!head || !bus || !/:/.test(bus)) continue;
    const ecc = Number(block[0]?.[2]);
    devices.push({
      vendor: 'kunlunxin',
      model: head[2]!,
      vendorIndex: Number(head[1]),
      pciBusId: bus,
      memoryMib: totalOfUsedTotal(block[1]?.[1])?.total,
      driverVersion: driver,
      health: ecc > 0 ? 'warning' : 'ok',
      note: ecc > 0 ? `${ecc} uncorrected ECC errors` : undefined,
    });
  }
  return { devices, warnings: [] };
}

/** The legacy `xpu_smi` table of R200/R300 drivers. */
export function parseKunlunxinLegacy(stdout: string): ParseResult {
  if (!/DevID\s*\|\s*PCI Addr/.test(stdout)) throw new FormatError('no "DevID | PCI Addr" table');
  const driver = present(stdout.match(/^Driver Version:\s*(.*)$/m)?.[1]);
  const devices: ToolDevice[] = [];
  const table = stdout.split(/^\s*VIDEO\s*$/m)[0] ?? '';
  for (const line of table.split(/\r?\n/)) {
    const cells = line.split('|').map((c) => c.trim());
    if (!/^\d+$/.test(cells[1] ?? '') || !/:/.test(cells[2] ?? '')) continue;
    devices.push({
      vendor: 'kunlunxin',
      model: cells[3]!,
      vendorIndex: Number(cells[1]),
      serial: identifier(cells[4]),
      pciBusId: cells[2],
      memoryMib: totalOfUsedTotal(cells[8])?.total,
      driverVersion: driver,
      health: 'ok',
    });
  }
  return { devices, warnings: [] };
}

export const kunlunxinDetector: VendorDetector = {
  vendor: 'kunlunxin',
  pciVendorIds: ['1d22', '2057'],
  isPciAccelerator: (fn) => classIn(fn, ['12', '0380']),
  driverHint: 'install the Kunlunxin XPU driver package (kunlun driver with xpu-smi, or xpu_smi on R200/R300)',
  async detect(run) {
    const flavour = await xpuSmiFlavour(run);
    if (flavour === 'intel') return { devices: [], warnings: [], toolMissing: true, tool: 'xpu-smi' };
    if (flavour !== 'missing') return outcomeOf('xpu-smi', await runStep(run, 'xpu-smi', KUNLUNXIN_QUERY_ARGS, parseKunlunxinQuery));
    return outcomeOf('xpu_smi', await runStep(run, 'xpu_smi', [], parseKunlunxinLegacy));
  },
};

// ---- Telemetry: `xpu-smi -q` (the detection call: it has utilisation, memory, temperature and
// power per device), or the legacy `xpu_smi` table (utilisation and memory only) ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const parseKunlunxinQueryTelemetry = readingsOf('xpu-smi -q', (stdout) => {
  if (!/XPUSMI LOG/.test(stdout)) throw new FormatError('no "XPUSMI LOG" banner');
  return stdout
    .split(/^XPU (?=[0-9A-Fa-f]+:)/m)
    .slice(1)
    .map((section): CardReading => {
      const lines = section.split(/\r?\n/);
      const kv = keyValues(lines.slice(1));
      const under = (heading: string, key: string) => {
        const start = lines.findIndex((l) => l.trim() === heading);
        return start < 0 ? undefined : keyValues(lines.slice(start + 1)).get(key);
      };
      const uncorrectable = Number(under('Volatile', 'DRAM Uncorrectable') ?? 0);
      return compact({
        vendorIndex: toInt(kv.get('Minor Number'), 'xpu-smi Minor Number'),
        busId: present(kv.get('Bus Id')) ?? lines[0]?.trim(),
        utilPct: reading(under('Utilization', 'Xpu')),
        memoryUsedMib: reading(under('Memory Usage', 'Used')),
        memoryTotalMib: reading(under('Memory Usage', 'Total')),
        temperatureC: reading(under('Temperature', 'XPU Current Temp')),
        powerW: reading(under('Power Readings', 'Power Draw')),
        powerLimitW: reading(under('Power Readings', 'Enforced Power Limit')),
        health: uncorrectable > 0 ? 'warning' : 'ok',
      });
    });
});

export const parseKunlunxinLegacyTelemetry = readingsOf('xpu_smi', (stdout) => {
  if (!/DevID\s*\|\s*PCI Addr/.test(stdout)) throw new FormatError('no "DevID | PCI Addr" table');
  const cards: CardReading[] = [];
  for (const line of (stdout.split(/^\s*VIDEO\s*$/m)[0] ?? '').split(/\r?\n/)) {
    const cells = line.split('|').map((c) => c.trim());
    if (!/^\d+$/.test(cells[1] ?? '') || !/:/.test(cells[2] ?? '')) continue;
    const memory = totalOfUsedTotal(cells[8]);
    cards.push(
      compact({
        vendorIndex: Number(cells[1]),
        busId: cells[2],
        utilPct: reading(cells[6]),
        memoryUsedMib: memory?.used,
        memoryTotalMib: memory?.total,
        health: 'ok',
      }),
    );
  }
  return cards;
});

export const kunlunxinTelemetry: VendorTelemetry = {
  vendor: 'kunlunxin',
  call: (cards) =>
    cards.tool === 'xpu-smi'
      ? { tool: 'xpu-smi', args: KUNLUNXIN_QUERY_ARGS, parse: parseKunlunxinQueryTelemetry }
      : cards.tool === 'xpu_smi'
        ? { tool: 'xpu_smi', args: [], parse: parseKunlunxinLegacyTelemetry }
        : undefined,
};
