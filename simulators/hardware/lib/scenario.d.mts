// Types for scenario.mjs (plain JS so the fake CLIs start without tsx).
export type SimVendor =
  | 'nvidia' | 'amd' | 'intel' | 'huawei' | 'cambricon' | 'hygon'
  | 'kunlunxin' | 'iluvatar' | 'metax' | 'mthreads' | 'enflame';

export type SimHealth = 'ok' | 'warning' | 'error';
/** hang: never exits; driver-error: the vendor's driver failure message, non-zero exit; garbage: noise, exit 0. */
export type SimFault = 'hang' | 'driver-error' | 'garbage';

/** What the fake tools print as a card's load; each defaults to the real sample the tool is templated on. */
export interface SimReadings {
  utilPct?: number;
  memoryUsedMib?: number;
  temperatureC?: number;
  powerW?: number;
  powerLimitW?: number;
}

export interface SimDeviceSpec extends SimReadings {
  model?: string;
  memoryMib?: number;
  health?: SimHealth;
  pciDevice?: string;
  pciOnly?: boolean;
}

export interface SimVendorSpec extends SimReadings {
  count?: number;
  model?: string;
  memoryMib?: number;
  driver?: string;
  firmware?: string;
  pciDevice?: string;
  /** Per device index. */
  devices?: Record<string, SimDeviceSpec>;
}

export interface HardwareScenario {
  vendors: Partial<Record<SimVendor, SimVendorSpec>>;
  /** Per tool name ("npu-smi"). */
  faults?: Record<string, SimFault>;
  /** Tools on PATH; default: those of the scenario's vendors (see TOOLS_BY_VENDOR in host.ts). */
  tools?: string[];
  /** Tools taken off the default PATH. */
  missingTools?: string[];
  /** Whose xpu-smi is installed when both Intel and Kunlunxin cards are present. */
  xpuSmi?: 'intel' | 'kunlunxin';
}

export interface SimDevice {
  vendor: SimVendor;
  index: number;
  model: string;
  memoryMib: number;
  driver: string;
  firmware: string;
  health: SimHealth;
  busId: string;
  uuid: string;
  serial: string;
  pciVendor: string;
  pciDevice: string;
  pciClass: string;
  pciOnly: boolean;
  readings: SimReadings & { utilPct: number; memoryUsedMib: number };
}

export const VENDOR_ORDER: SimVendor[];
export function loadScenario(env?: NodeJS.ProcessEnv): HardwareScenario;
export function expandScenario(scenario: HardwareScenario): SimDevice[];
