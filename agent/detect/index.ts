// Detection: every vendor detector and the PCI scan run in parallel; tool devices get their
// nominal FP16-eq from the catalogue; PCI devices no tool accounted for are still listed, with
// what to install. Nothing here knows whether the tools are real or simulated.
import type { Accelerator } from '../../protocol/messages.ts';
import { tflopsPerWatt, unknownFp16, type Factors } from '../../protocol/fp16.ts';
import { isDomesticVendor, VENDORS, type VendorId } from '../../protocol/vendors.ts';
import type { AcceleratorReadings, AcceleratorSource, DetectResult } from '../hardware.ts';
import { loadCatalog, lookup, nominalFp16, type Catalog } from '../catalog/catalog.ts';
import { amdDetector } from './amd.ts';
import { cambriconDetector } from './cambricon.ts';
import { enflameDetector } from './enflame.ts';
import { createToolRunner, type ToolRunner } from './exec.ts';
import { huaweiDetector } from './huawei.ts';
import { hygonDetector } from './hygon.ts';
import { iluvatarDetector } from './iluvatar.ts';
import { intelDetector } from './intel.ts';
import { kunlunxinDetector } from './kunlunxin.ts';
import { metaxDetector } from './metax.ts';
import { mthreadsDetector } from './mthreads.ts';
import { nvidiaDetector } from './nvidia.ts';
import { normalizeBusId, scanPci, type PciAcceleratorRule, type PciDevice } from './pci.ts';
import type { ToolDevice, VendorDetector, VendorOutcome } from './types.ts';
import { CardTelemetry, DEFAULT_TELEMETRY_TIMEOUT_MS, type TrackedCard } from './telemetry.ts';

export type { DetectResult } from '../hardware.ts';
export type { VendorDetector, ToolDevice } from './types.ts';

export const DETECTORS: readonly VendorDetector[] = [
  nvidiaDetector,
  amdDetector,
  intelDetector,
  huaweiDetector,
  cambriconDetector,
  hygonDetector,
  kunlunxinDetector,
  iluvatarDetector,
  metaxDetector,
  mthreadsDetector,
  enflameDetector,
];

export const DEFAULT_TOOL_TIMEOUT_MS = 3000;

export interface DetectOptions {
  /** Environment the vendor tools run with; its PATH decides which tools exist. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Root of sysfs for the PCI fallback. Default: /sys. */
  sysfsRoot?: string;
  /** Per tool invocation. Default: 3 s. */
  timeoutMs?: number;
  /** Per telemetry tool call, each interval. Default: 2 s. */
  telemetryTimeoutMs?: number;
  /** Site catalogue override file (same shape as agent/catalog/accelerators.json). */
  catalogOverridePath?: string;
  /** Site overrides of the FP16-equivalent conversion factors. */
  factors?: Partial<Factors>;
  /** A catalogue already loaded (skips loading; the override path is then ignored). */
  catalog?: Catalog;
  detectors?: readonly VendorDetector[];
  /** Runs the vendor tools (default: child processes with `env` and `timeoutMs`); the bench wraps it to time them. */
  runner?: ToolRunner;
}

export async function detectAccelerators(opts: DetectOptions = {}): Promise<DetectResult> {
  return (await detectWithToolIndexes(opts)).result;
}

/** Detection, plus each card's index in its own vendor tool (undefined for PCI-only cards): telemetry reads by it. */
export async function detectWithToolIndexes(opts: DetectOptions = {}): Promise<{ result: DetectResult; toolIndexes: (number | undefined)[] }> {
  const detectors = opts.detectors ?? DETECTORS;
  const run = opts.runner ?? createToolRunner({ env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS });
  const [catalog, pci, outcomes] = await Promise.all([
    opts.catalog ?? loadCatalog({ overridePath: opts.catalogOverridePath }),
    scanPci(opts.sysfsRoot ?? '/sys', pciAcceleratorRule(detectors)),
    Promise.all(detectors.map((d) => detectSafely(d, run))),
  ]);
  const warnings: string[] = [...pci.warnings];
  const found: Omit<Accelerator, 'index'>[] = [];
  const toolIndexes: (number | undefined)[] = [];
  const pciByBus = new Map(pci.devices.map((p) => [p.busId, p] as const));
  detectors.forEach((detector, i) => {
    const outcome = outcomes[i]!;
    warnings.push(...outcome.warnings);
    const claimed = new Set<string>();
    for (const dev of outcome.devices) {
      const acc = fromTool(dev, detector, outcome.tool, pciByBus, catalog, opts.factors);
      if (acc.pciBusId) claimed.add(acc.pciBusId);
      found.push(acc);
      toolIndexes.push(dev.vendorIndex);
    }
    const owned = pci.devices.filter((p) => detector.pciVendorIds.includes(p.vendorId) && !claimed.has(p.busId));
    // Devices the tool listed without a bus id account for that many unclaimed PCI functions.
    const unplaced = outcome.devices.filter((d) => !normalizeBusId(d.pciBusId)).length;
    const orphans = owned.slice(unplaced);
    if (orphans.length === 0) return;
    const why = outcome.toolMissing
      ? `tool missing: ${outcome.tool} is not installed; ${detector.driverHint}`
      : outcome.warnings.length
        ? `${outcome.tool} failed; listed from PCI only`
        : `on PCI but not listed by ${outcome.tool}: is the card bound to the driver?`;
    if (outcome.toolMissing) {
      warnings.push(`${orphans.length} ${VENDORS[detector.vendor].name} device(s) on PCI but ${outcome.tool} is not installed: ${detector.driverHint}`);
    } else if (!outcome.warnings.length) {
      warnings.push(`${orphans.length} ${VENDORS[detector.vendor].name} device(s) on PCI that ${outcome.tool} did not list`);
    }
    for (const p of orphans) found.push(fromPci(p, detector.vendor, why, catalog));
    toolIndexes.length = found.length; // PCI-only cards have no tool index
  });
  return { result: { accelerators: found.map((a, index) => ({ ...a, index })), warnings: [...new Set(warnings)] }, toolIndexes };
}

/** A PCI function is an accelerator when the detector owning its vendor id says so. */
export function pciAcceleratorRule(detectors: readonly VendorDetector[] = DETECTORS): PciAcceleratorRule {
  return (fn) => detectors.some((d) => d.pciVendorIds.includes(fn.vendorId) && d.isPciAccelerator(fn));
}

/** A detector's own bug must not stop the others: it becomes a warning naming the vendor. */
async function detectSafely(d: VendorDetector, run: ReturnType<typeof createToolRunner>): Promise<VendorOutcome> {
  try {
    return await d.detect(run);
  } catch (e) {
    return { devices: [], warnings: [`${VENDORS[d.vendor].name} detection failed: ${(e as Error).message}`], toolMissing: false, tool: d.vendor };
  }
}

function fromTool(
  dev: ToolDevice,
  detector: VendorDetector,
  tool: string,
  pciByBus: ReadonlyMap<string, PciDevice>,
  catalog: Catalog,
  factors: Partial<Factors> | undefined,
): Omit<Accelerator, 'index'> {
  const busId = normalizeBusId(dev.pciBusId);
  const onBus = busId ? pciByBus.get(busId) : undefined;
  const deviceId = onBus ? `0x${onBus.deviceId}` : dev.pciDeviceId;
  const vendorHex = onBus?.vendorId ?? detector.pciVendorIds[0]!;
  const entry = lookup(catalog, { vendor: dev.vendor, model: dev.model, pciDeviceId: deviceId });
  const nominal = nominalFp16(catalog, entry, dev.model, factors);
  const perWatt = tflopsPerWatt(nominal.tflops, entry?.tdpW);
  return {
    vendor: dev.vendor,
    model: dev.model,
    uuid: dev.uuid ?? dev.serial ?? '',
    pciBusId: busId ?? '',
    pciId: deviceId ? `${vendorHex}:${deviceId.replace(/^0x/, '')}` : '',
    memoryMib: dev.memoryMib ?? entry?.memoryMib ?? 0,
    driverVersion: dev.driverVersion ?? '',
    firmwareVersion: dev.firmwareVersion ?? '',
    health: dev.health,
    domestic: isDomesticVendor(dev.vendor),
    nominal,
    detectedBy: tool,
    note: dev.note ?? '',
    ...(entry?.tdpW !== undefined ? { tdpW: entry.tdpW } : {}),
    ...(perWatt !== undefined ? { nominalTflopsPerWatt: perWatt } : {}),
  };
}

function fromPci(p: PciDevice, vendor: VendorId, why: string, catalog: Catalog): Omit<Accelerator, 'index'> {
  const entry = lookup(catalog, { vendor, model: '', pciDeviceId: `0x${p.deviceId}` });
  return {
    vendor,
    model: entry ? `${entry.model} (by PCI id)` : `${VENDORS[vendor].name} [${p.vendorId}:${p.deviceId}]`,
    uuid: '',
    pciBusId: p.busId,
    pciId: `${p.vendorId}:${p.deviceId}`,
    memoryMib: 0,
    driverVersion: '',
    firmwareVersion: '',
    health: 'unknown',
    domestic: isDomesticVendor(vendor),
    // Without the vendor tool the exact variant is unconfirmed: no figure is counted.
    nominal: unknownFp16('nominal', 'FP16 unknown: no vendor tool output to identify the model'),
    detectedBy: 'pci',
    note: why,
  };
}

/** The agent's seam: detection with fixed options, run on demand. */
export class ToolAcceleratorSource implements AcceleratorSource {
  private readonly telemetry: CardTelemetry;
  private cards: TrackedCard[] = [];

  constructor(private readonly opts: DetectOptions = {}) {
    this.telemetry = new CardTelemetry({ env: opts.env ?? process.env, timeoutMs: opts.telemetryTimeoutMs ?? DEFAULT_TELEMETRY_TIMEOUT_MS });
  }

  async detect(): Promise<DetectResult> {
    const { result, toolIndexes } = await detectWithToolIndexes(this.opts);
    this.cards = result.accelerators.map((a, i) => ({
      index: a.index,
      vendor: a.vendor as VendorId,
      tool: a.detectedBy,
      ...(toolIndexes[i] === undefined ? {} : { vendorIndex: toolIndexes[i] }),
      pciBusId: a.pciBusId,
    }));
    return result;
  }

  /** Readings of the cards found by the last detect(), one bounded call per vendor tool. */
  sample(): Promise<AcceleratorReadings> {
    return this.telemetry.sample(this.cards);
  }

  /** The accelerator functions on the PCI bus: a card added, removed or re-seated changes it. */
  async fingerprint(): Promise<string> {
    const { devices } = await scanPci(this.opts.sysfsRoot ?? '/sys', pciAcceleratorRule(this.opts.detectors));
    return devices.map((d) => `${d.busId}=${d.vendorId}:${d.deviceId}`).join(',');
  }
}

export function createAcceleratorSource(opts: DetectOptions = {}): AcceleratorSource {
  return new ToolAcceleratorSource(opts);
}
