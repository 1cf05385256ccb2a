// NVIDIA: `nvidia-smi --query-gpu=… --format=csv`. The parser reads columns by header name, so
// it also reads a capture with hundreds of fields; the plain table is the fallback for a driver
// that rejects one of our fields.
import type { Health } from '../../protocol/messages.ts';
import { outcomeOf, runStep } from './step.ts';
import { boxBlocks, deviceIdOfCombined, failureIn, csvCells, identifier, present, toInt, totalOfUsedTotal } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn } from './pci.ts';

export const NVIDIA_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'serial',
  'pci.bus_id',
  'pci.device_id',
  'memory.total',
  'driver_version',
  'vbios_version',
  'ecc.errors.uncorrected.volatile.total',
  'retired_pages.pending',
] as const;

export const NVIDIA_QUERY_ARGS = [`--query-gpu=${NVIDIA_QUERY_FIELDS.join(',')}`, '--format=csv'] as const;

const FAILED_VALUE = /GPU is lost|Unknown Error|requires reset|ERR!/i;

export function parseNvidiaSmiCsv(stdout: string): ParseResult {
  const lines = stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { devices: [], warnings: [] };
  // "memory.total [MiB]" → "memory.total"
  const header = csvCells(lines[0]!).map((h) => h.replace(/\s*\[.*\]$/, ''));
  for (const need of ['index', 'name']) {
    if (!header.includes(need)) throw new FormatError(`CSV header has no "${need}" column`);
  }
  const devices: ToolDevice[] = [];
  for (const line of lines.slice(1)) {
    const cells = csvCells(line);
    if (cells.length !== header.length) throw new FormatError(`row has ${cells.length} cells, header has ${header.length}`);
    const row = new Map(header.map((h, i) => [h, cells[i]!] as const));
    const get = (k: string) => present(row.get(k)?.replace(/\s*(MiB|%|W|MHz)$/, ''));
    const failed = cells.filter((c) => FAILED_VALUE.test(c));
    const ecc = Number(get('ecc.errors.uncorrected.volatile.total'));
    const retiredPending = get('retired_pages.pending') === 'Yes';
    let health: Health = 'ok';
    let note: string | undefined;
    if (failed.length) {
      health = 'error';
      note = `nvidia-smi reports ${failed[0]}`;
    } else if (ecc > 0 || retiredPending) {
      health = 'warning';
      note = ecc > 0 ? `${ecc} uncorrected ECC errors since boot` : 'retired pages pending: reboot to retire them';
    }
    const memory = Number(get('memory.total'));
    devices.push({
      vendor: 'nvidia',
      model: get('name') ?? 'NVIDIA GPU',
      vendorIndex: toInt(get('index'), 'nvidia-smi index'),
      uuid: identifier(row.get('uuid')),
      serial: identifier(row.get('serial')),
      pciBusId: get('pci.bus_id'),
      pciDeviceId: deviceIdOfCombined(get('pci.device_id')),
      memoryMib: Number.isFinite(memory) && memory > 0 ? memory : undefined,
      driverVersion: get('driver_version'),
      firmwareVersion: get('vbios_version'),
      health,
      note,
    });
  }
  return { devices, warnings: [] };
}

/** The default `nvidia-smi` table, for drivers that reject a query field. */
export function parseNvidiaSmiTable(stdout: string): ParseResult {
  const driver = stdout.match(/Driver Version:\s*(\S+)/)?.[1];
  if (!/NVIDIA-SMI/.test(stdout)) throw new FormatError('no "NVIDIA-SMI" banner');
  const devices: ToolDevice[] = [];
  for (const block of boxBlocks(stdout)) {
    const head = block[0]?.[0]?.match(/^(\d+)\s+(.+?)\s+(On|Off)$/);
    const bus = block[0]?.[1]?.match(/^([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)/)?.[1];
    if (!head || !bus) continue;
    const mem = totalOfUsedTotal(block[1]?.[1]);
    const failed = failureIn(block, FAILED_VALUE);
    devices.push({
      vendor: 'nvidia',
      model: head[2]!,
      vendorIndex: Number(head[1]),
      pciBusId: bus,
      memoryMib: mem?.total,
      driverVersion: driver,
      health: failed ? 'error' : 'ok',
      note: failed ? `nvidia-smi reports ${failed}` : undefined,
    });
  }
  return { devices, warnings: [] };
}

export const nvidiaDetector: VendorDetector = {
  vendor: 'nvidia',
  pciVendorIds: ['10de'],
  // GPUs are VGA (0300) or 3D (0302) functions; the card's audio (0403) and NVSwitch (0680) are not.
  isPciAccelerator: (fn) => classIn(fn, ['0300', '0302']),
  driverHint: 'install the NVIDIA driver (nvidia-driver-<version>, which ships nvidia-smi)',
  async detect(run) {
    const query = await runStep(run, 'nvidia-smi', NVIDIA_QUERY_ARGS, parseNvidiaSmiCsv);
    if (query.kind === 'failed' && /not a valid field/i.test(query.warning)) {
      const table = await runStep(run, 'nvidia-smi', [], parseNvidiaSmiTable);
      const out = outcomeOf('nvidia-smi', table);
      return { ...out, warnings: [`nvidia-smi rejected a query field (old driver?); read its table instead`, ...out.warnings] };
    }
    // nvidia-smi installed on a box without NVIDIA GPUs (exit 6) is not a problem.
    if (query.kind === 'failed' && /No devices were found/.test(query.warning)) {
      return { devices: [], warnings: [], toolMissing: false, tool: 'nvidia-smi' };
    }
    return outcomeOf('nvidia-smi', query);
  },
};

// ---- Telemetry: one `nvidia-smi --query-gpu` per interval, readings by position ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

export const NVIDIA_TELEMETRY_FIELDS = ['index', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu', 'power.draw', 'power.limit'] as const;
export const NVIDIA_TELEMETRY_ARGS = [`--query-gpu=${NVIDIA_TELEMETRY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'] as const;

/** `nvidia-smi --query-gpu=index,… --format=csv,noheader,nounits`; "[N/A]" and "[Not Supported]" are absent readings. */
export const parseNvidiaTelemetry = readingsOf('nvidia-smi --query-gpu', (stdout) => {
  const cards: CardReading[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = csvCells(line);
    if (cells.length !== NVIDIA_TELEMETRY_FIELDS.length) {
      throw new FormatError(`row "${line.slice(0, 60)}" has ${cells.length} cells, expected ${NVIDIA_TELEMETRY_FIELDS.length}`);
    }
    const [index, util, used, total, temp, power, limit] = cells;
    const failed = cells.some((c) => FAILED_VALUE.test(c));
    cards.push(
      compact({
        vendorIndex: toInt(index, 'nvidia-smi index'),
        utilPct: reading(util),
        memoryUsedMib: reading(used),
        memoryTotalMib: reading(total),
        temperatureC: reading(temp),
        powerW: reading(power),
        powerLimitW: reading(limit),
        health: failed ? 'error' : 'ok',
      }),
    );
  }
  return cards;
});

export const nvidiaTelemetry: VendorTelemetry = {
  vendor: 'nvidia',
  call: (cards) => (cards.tool === 'nvidia-smi' ? { tool: 'nvidia-smi', args: NVIDIA_TELEMETRY_ARGS, parse: parseNvidiaTelemetry } : undefined),
};
