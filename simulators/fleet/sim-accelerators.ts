// Accelerators for simulated nodes, resolved through the real catalogue (so nominal figures and
// their sources are exactly what a real agent would report for that model). Big fleets use this;
// the fake vendor CLIs in simulators/hardware exercise the detectors themselves.
import type { Accelerator } from '../../protocol/messages.ts';
import { isDomesticVendor, isVendorId } from '../../protocol/vendors.ts';
import type { AcceleratorSource, DetectResult } from '../../agent/hardware.ts';
import { lookup, nominalFp16, type Catalog } from '../../agent/catalog/catalog.ts';
import type { AcceleratorPack } from './scenario.ts';

export class CatalogAcceleratorSource implements AcceleratorSource {
  constructor(
    private readonly catalog: Catalog,
    private readonly pack: AcceleratorPack,
    private readonly nodeId: string,
  ) {}

  async detect(): Promise<DetectResult> {
    const { vendor, model, count } = this.pack;
    if (!isVendorId(vendor)) return { accelerators: [], warnings: [`scenario names unknown vendor "${vendor}"`] };
    const entry = lookup(this.catalog, { vendor, model });
    const warnings = entry ? [] : [`simulated model "${model}" is not in the catalogue; its FP16 is unknown`];
    const accelerators: Accelerator[] = Array.from({ length: count }, (_, index) => ({
      vendor,
      model: entry?.model ?? model,
      index,
      uuid: `sim-${this.nodeId}-${index}`,
      pciBusId: `0000:${(0x18 + index * 0x10).toString(16).padStart(2, '0')}:00.0`,
      pciId: '',
      memoryMib: entry?.memoryMib ?? 0,
      driverVersion: 'simulated',
      firmwareVersion: '',
      health: 'ok',
      domestic: isDomesticVendor(vendor),
      nominal: nominalFp16(this.catalog, entry, model),
      detectedBy: 'simulator',
      note: '',
    }));
    return { accelerators, warnings };
  }
}
