// Scenario → simulated devices. Shared by the fake vendor CLIs (plain JS so they start fast,
// without tsx) and by the fake sysfs generator, so both describe the same box.
import { readFileSync } from 'node:fs';

// What each vendor's cards look like by default: taken from the real samples in
// tests/fixtures/vendors/ (model strings, memory, driver versions, PCI ids where a sample shows
// them; the other PCI device ids are simulated values).
export const VENDOR_DEFAULTS = {
  nvidia: { model: 'NVIDIA H200', memoryMib: 143771, driver: '590.48.01', firmware: '96.00.A5.00.03', pciVendor: '10de', pciDevice: '2335', pciClass: '0x030200' },
  amd: { model: 'AMD Instinct MI300X', memoryMib: 196592, driver: '6.7.0', firmware: '', pciVendor: '1002', pciDevice: '74a1', pciClass: '0x038000' },
  intel: { model: 'Intel(R) Data Center GPU Flex 170', memoryMib: 16384, driver: '1.3.27191', firmware: '', pciVendor: '8086', pciDevice: '56c0', pciClass: '0x038000' },
  huawei: { model: '910B', memoryMib: 65536, driver: '23.0.3', firmware: '', pciVendor: '19e5', pciDevice: 'd802', pciClass: '0x120000' },
  cambricon: { model: 'MLU370-X8', memoryMib: 23374, driver: '5.10.13', firmware: 'v1.1.6', pciVendor: 'cabc', pciDevice: '0370', pciClass: '0x120000' },
  hygon: { model: 'K100_AI', memoryMib: 65520, driver: '6.3.8-V1.5.2', firmware: '', pciVendor: '1d94', pciDevice: '6320', pciClass: '0x038000' },
  kunlunxin: { model: 'P800 PCIe', memoryMib: 98304, driver: '5.0.21.26', firmware: '1.0.2.14.1.54', pciVendor: '2057', pciDevice: '3686', pciClass: '0x120000' },
  iluvatar: { model: 'Iluvatar BI-V150S', memoryMib: 32768, driver: '4.1.0', firmware: '', pciVendor: '1e3e', pciDevice: '0003', pciClass: '0x030200' },
  metax: { model: 'MXC500', memoryMib: 65536, driver: '2.5.014', firmware: '1.13.5.0', pciVendor: '9999', pciDevice: '4001', pciClass: '0x038000' },
  mthreads: { model: 'MTT S4000', memoryMib: 32768, driver: '1.2.0', firmware: '', pciVendor: '1ed5', pciDevice: '0323', pciClass: '0x030000' },
  enflame: { model: 'S60', memoryMib: 49120, driver: '1.2.0.301', firmware: '33.6.2', pciVendor: '1e36', pciDevice: 'c033', pciClass: '0x120000' },
};

export const VENDOR_ORDER = Object.keys(VENDOR_DEFAULTS);

// Readings each fake tool prints by default, from the same real samples (absent where the real
// tool prints none: ixsmi and mthreads-gmi show no power). Load and memory in use start at 0.
export const READING_DEFAULTS = {
  nvidia: { temperatureC: 28, powerW: 77.71, powerLimitW: 700 },
  amd: { temperatureC: 45, powerW: 53, powerLimitW: 750 },
  intel: { temperatureC: 36, powerW: 14.61 },
  huawei: { temperatureC: 53, powerW: 89.9 },
  cambricon: { temperatureC: 32, powerW: 106, powerLimitW: 250 },
  hygon: { temperatureC: 61, powerW: 108, powerLimitW: 400 },
  kunlunxin: { temperatureC: 46, powerW: 76, powerLimitW: 350 },
  iluvatar: { temperatureC: 33 },
  metax: { temperatureC: 54, powerW: 122 },
  mthreads: { temperatureC: 65 },
  enflame: { temperatureC: 39, powerW: 105, powerLimitW: 300 },
};

const READING_KEYS = ['utilPct', 'memoryUsedMib', 'temperatureC', 'powerW', 'powerLimitW'];

export function loadScenario(env = process.env) {
  const path = env.BANYAN_HW_SCENARIO;
  if (!path) return { vendors: {} };
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every simulated device, with bus ids assigned in vendor order (deterministic). */
export function expandScenario(scenario) {
  const devices = [];
  let bus = 0x10;
  for (const vendor of VENDOR_ORDER) {
    const spec = scenario.vendors?.[vendor];
    if (!spec) continue;
    const d = VENDOR_DEFAULTS[vendor];
    for (let index = 0; index < (spec.count ?? 1); index++) {
      const own = spec.devices?.[String(index)] ?? {};
      const b = (bus++).toString(16).padStart(2, '0');
      devices.push({
        vendor,
        index,
        model: own.model ?? spec.model ?? d.model,
        memoryMib: own.memoryMib ?? spec.memoryMib ?? d.memoryMib,
        driver: spec.driver ?? d.driver,
        firmware: spec.firmware ?? d.firmware,
        health: own.health ?? 'ok',
        busId: `0000:${b}:00.0`,
        uuid: `GPU-${vendor.slice(0, 4).padEnd(8, '0')}-0000-4000-8000-${String(index).padStart(12, '0')}`,
        serial: `SIM${vendor.slice(0, 3).toUpperCase()}${String(index).padStart(6, '0')}`,
        pciVendor: d.pciVendor,
        pciDevice: own.pciDevice ?? spec.pciDevice ?? d.pciDevice,
        pciClass: d.pciClass,
        // On the bus but not answered by the tool (driver not bound).
        pciOnly: own.pciOnly ?? false,
        readings: readingsOf(vendor, spec, own),
      });
    }
  }
  return devices;
}

/** The device's own figure, else its vendor's in the scenario, else the real sample's. */
function readingsOf(vendor, spec, own) {
  const r = { utilPct: 0, memoryUsedMib: 0, ...READING_DEFAULTS[vendor] };
  for (const k of READING_KEYS) {
    const v = own[k] ?? spec[k];
    if (v !== undefined) r[k] = v;
  }
  return r;
}
