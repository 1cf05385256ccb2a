// Intel data-centre GPUs: `xpu-smi discovery -j`. Kunlunxin also ships a tool named xpu-smi;
// its output (not its name) tells it apart, and then it is simply not ours.
import { runStep, outcomeOf } from './step.ts';
import { INTEL_DISCOVERY_ARGS, xpuSmiFlavour } from './xpu-smi.ts';
import { identifier, isRecord, parseJson, present, str } from './text.ts';
import { FormatError, type ParseResult, type ToolDevice, type VendorDetector } from './types.ts';

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

export const intelDetector: VendorDetector = {
  vendor: 'intel',
  pciVendorIds: ['8086'],
  driverHint: 'install Intel XPU Manager (xpumanager / xpu-smi) and the i915 or xe GPU driver',
  async detect(run) {
    if ((await xpuSmiFlavour(run)) === 'kunlunxin') return { devices: [], warnings: [], toolMissing: true, tool: 'xpu-smi' };
    const json = await runStep(run, 'xpu-smi', INTEL_DISCOVERY_ARGS, parseXpuSmiDiscoveryJson);
    // Builds without -j print the table anyway (or reject -j): read the table then.
    if (json.kind === 'failed' && /not JSON|exited with code/.test(json.warning)) {
      const table = await runStep(run, 'xpu-smi', ['discovery'], parseXpuSmiDiscoveryTable);
      if (table.kind === 'ok' && table.result.devices.length) return outcomeOf('xpu-smi', table);
    }
    return outcomeOf('xpu-smi', json);
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
