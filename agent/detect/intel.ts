// Intel data-centre GPUs: `xpu-smi discovery -j`. Kunlunxin also ships a tool named xpu-smi;
// its output (not its name) tells it apart, and then it is simply not ours.
import { runStep, outcomeOf } from './step.ts';
import { INTEL_DISCOVERY_ARGS, xpuSmiFlavour } from './xpu-smi.ts';
import { identifier, isRecord, parseJson, present, str } from './text.ts';
import type { ToolRunner } from './exec.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';
import { classIn, deviceIn } from './pci.ts';

export function parseXpuSmiDiscoveryJson(stdout: string): ParseResult {
  const doc = parseJson(stdout, 'xpu-smi discovery -j output');
  const list = isRecord(doc) ? doc['device_list'] : undefined;
  if (!Array.isArray(list)) throw new FormatError('no "device_list" array');
  const devices: ToolDevice[] = list.map((d, i) => {
    if (!isRecord(d)) throw new FormatError(`device_list[${i}] is not an object`);
    const vendorName = str(d, 'vendor_name') ?? '';
    if (!/intel/i.test(vendorName)) throw new FormatError(`device_list[${i}] vendor is "${vendorName}", not Intel`);
    const index = Number(str(d, 'device_id'));
    if (!Number.isInteger(index)) throw new FormatError(`device_list[${i}] has no numeric device_id`);
    const devId = present(str(d, 'pci_device_id'));
    return {
      vendor: 'intel',
      model: present(str(d, 'device_name')) ?? 'Intel GPU',
      vendorIndex: index,
      uuid: identifier(str(d, 'uuid')),
      pciBusId: present(str(d, 'pci_bdf_address')),
      pciDeviceId: devId ? `0x${Number(devId).toString(16).padStart(4, '0')}` : undefined,
      health: 'ok',
    };
  });
  return { devices, warnings: [] };
}

/** The human table of `xpu-smi discovery`. */
export function parseXpuSmiDiscoveryTable(stdout: string): ParseResult {
  const devices: ToolDevice[] = [];
  let current: ToolDevice | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^\|\s*(\d*)\s*\|\s*([^:|]+):\s*(.*?)\s*\|$/);
    if (!m) continue;
    if (m[1]) {
      current = { vendor: 'intel', model: 'Intel GPU', vendorIndex: Number(m[1]), health: 'ok' };
      devices.push(current);
    }
    if (!current) continue;
    const [key, value] = [m[2]!.trim(), m[3]!];
    if (key === 'Device Name') current.model = value;
    else if (key === 'UUID') current.uuid = identifier(value);
    else if (key === 'PCI BDF Address') current.pciBusId = value;
  }
  if (!/Device ID/.test(stdout)) throw new FormatError('no "Device ID" table');
  return { devices, warnings: [] };
}

// Intel's discrete and data-centre GPUs (device ids from pci.ids): Max (Ponte Vecchio), Flex, Arc
// A (Alchemist), Arc B (Battlemage), DG1/SG1. Every other Intel display function is an integrated
// GPU, whatever its class (an iGPU beside a discrete primary GPU shows as 0380).
const INTEL_DISCRETE_GPUS = ['0bd0-0bdb', '4905-4908', '5690-56c2', 'e202-e21f'];

/** What `xpu-smi discovery -d N` adds to the discovery list: memory, driver and firmware. */
export interface XpuSmiDeviceDetail {
  memoryMib?: number;
  driverVersion?: string;
  firmwareVersion?: string;
}

/** The per-device table of `xpu-smi discovery -d N` ("| | Memory Physical Size: 32768.00 MiB |"). */
export function parseXpuSmiDiscoveryDetail(stdout: string): XpuSmiDeviceDetail {
  const fields = new Map<string, string>();
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^\|\s*\d*\s*\|\s*([^:|]+):\s*(.*?)\s*\|$/);
    if (m && !fields.has(m[1]!.trim())) fields.set(m[1]!.trim(), m[2]!);
  }
  if (!fields.has('Device Name')) throw new FormatError('no "Device Name" row');
  const size = fields.get('Memory Physical Size')?.match(/^([\d.]+)\s*(MiB|GiB)$/);
  const mib = size ? Number(size[1]) * (size[2] === 'GiB' ? 1024 : 1) : NaN;
  return {
    memoryMib: mib > 0 ? Math.round(mib) : undefined,
    driverVersion: present(fields.get('Driver Version')),
    firmwareVersion: present(fields.get('Firmware Version')),
  };
}

/** Memory is only in the per-device view: one bounded call per card, all in parallel. */
async function withDetails(run: ToolRunner, devices: readonly ToolDevice[]): Promise<{ devices: ToolDevice[]; warnings: string[] }> {
  const warnings: string[] = [];
  const out = await Promise.all(
    devices.map(async (d) => {
      const args = ['discovery', '-d', String(d.vendorIndex)];
      const r = await run('xpu-smi', args);
      if (!r.ok) {
        warnings.push(`${r.message}; memory left to the catalogue`);
        return d;
      }
      try {
        return { ...d, ...definedOnly(parseXpuSmiDiscoveryDetail(r.stdout)) };
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        warnings.push(`xpu-smi ${args.join(' ')}: output not understood (${e.message}); memory left to the catalogue`);
      }
      return d;
    }),
  );
  return { devices: out, warnings };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const intelDetector: VendorDetector = {
  vendor: 'intel',
  pciVendorIds: ['8086'],
  isPciAccelerator: (fn) => classIn(fn, ['03', '12']) && deviceIn(fn, INTEL_DISCRETE_GPUS),
  driverHint: 'install Intel XPU Manager (xpumanager / xpu-smi) and the i915 or xe GPU driver',
  async detect(run) {
    if ((await xpuSmiFlavour(run)) === 'kunlunxin') return { devices: [], warnings: [], toolMissing: true, tool: 'xpu-smi' };
    let listed = await runStep(run, 'xpu-smi', INTEL_DISCOVERY_ARGS, parseXpuSmiDiscoveryJson);
    // Builds without -j print the table anyway (or reject -j): read the table then.
    if (listed.kind === 'failed' && /not JSON|exited with code/.test(listed.warning)) {
      const table = await runStep(run, 'xpu-smi', ['discovery'], parseXpuSmiDiscoveryTable);
      if (table.kind === 'ok' && table.result.devices.length) listed = table;
    }
    const out = outcomeOf('xpu-smi', listed);
    if (out.devices.length === 0) return out;
    const detailed = await withDetails(run, out.devices);
    return { ...out, devices: detailed.devices, warnings: [...out.warnings, ...detailed.warnings] };
  },
};

// ---- Telemetry: `xpu-smi dump -d <ids> -m 0,1,3,18 -n 1`, one CSV row per device ----
// (Imports hoist; kept with the section they serve, apart from detection's.)
import { compact, reading, readingsOf, type CardReading, type VendorTelemetry } from './readings.ts';

/** Metrics 0 GPU Utilization (%), 1 GPU Power (W), 3 GPU Core Temperature, 18 GPU Memory Used (MiB). */
export const INTEL_DUMP_METRICS = '0,1,3,18';

export function intelDumpArgs(deviceIds: readonly number[]): string[] {
  return ['dump', '-d', deviceIds.join(','), '-m', INTEL_DUMP_METRICS, '-n', '1'];
}

/** `xpu-smi dump … -n 1`: "Timestamp, DeviceId, <metric (unit)>…" then one row per device; columns by header name. */
export const parseXpuSmiDump = readingsOf('xpu-smi dump', (stdout) => {
  const lines = stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
  const at = lines.findIndex((l) => /^\s*Timestamp\s*,\s*DeviceId\b/.test(l));
  if (at < 0) throw new FormatError('no "Timestamp, DeviceId, …" header');
  const header = lines[at]!.split(',').map((h) => h.trim());
  const col = (re: RegExp) => header.findIndex((h) => re.test(h));
  const [id, util, power, temp, used] = [col(/^DeviceId$/), col(/^GPU Utilization/), col(/^GPU Power/), col(/^GPU Core Temperature/), col(/^GPU Memory Used/)];
  const cards: CardReading[] = [];
  for (const line of lines.slice(at + 1)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw new FormatError(`row "${line.slice(0, 60)}" has ${cells.length} cells, header has ${header.length}`);
    const get = (i: number) => (i < 0 ? undefined : cells[i]);
    cards.push(
      compact({
        vendorIndex: toNonNegativeInt(get(id)),
        utilPct: reading(get(util)),
        powerW: reading(get(power)),
        temperatureC: reading(get(temp)),
        memoryUsedMib: reading(get(used)),
        // dump reports no health; `xpu-smi health` would be a second call per interval.
        health: 'ok',
      }),
    );
  }
  return cards;
});

function toNonNegativeInt(s: string | undefined): number {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isInteger(n) || n < 0) throw new FormatError(`DeviceId "${s ?? ''}" is not a device index`);
  return n;
}

export const intelTelemetry: VendorTelemetry = {
  vendor: 'intel',
  call: (cards) =>
    cards.tool === 'xpu-smi' && cards.vendorIndexes.length
      ? { tool: 'xpu-smi', args: intelDumpArgs(cards.vendorIndexes), parse: parseXpuSmiDump }
      : undefined,
};
