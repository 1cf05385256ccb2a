// The shape every vendor detector shares: which tools it runs, a pure parser from their
// stdout to devices, and the PCI vendor IDs it owns (for the sysfs fallback).
import type { Health } from '../../protocol/messages.ts';
import type { VendorId } from '../../protocol/vendors.ts';
import type { ToolRunner } from './exec.ts';
import type { PciFunction } from './pci.ts';

/** One device as a vendor tool describes it, before the catalogue adds the nominal figure. */
export interface ToolDevice {
  vendor: VendorId;
  /** The model as the tool prints it, e.g. "NVIDIA H200", "910B2C", "MXC500". */
  model: string;
  /** The tool's own index (nvidia-smi GPU, npu-smi NPU, cnmon Card). */
  vendorIndex: number;
  uuid?: string;
  serial?: string;
  /** Any spelling the tool prints; normalised later. */
  pciBusId?: string;
  /** PCI device id, "0x2335", when the tool prints it. */
  pciDeviceId?: string;
  memoryMib?: number;
  driverVersion?: string;
  firmwareVersion?: string;
  health: Health;
  /** Why the health is not ok, or anything else an engineer should know. */
  note?: string;
}

export interface ParseResult {
  devices: ToolDevice[];
  /** Problems that did not stop parsing: "cnmon: row 3 has no bus id". */
  warnings: string[];
}

/** What a detector found. `toolMissing`: none of its tools is installed (not itself a problem). */
export interface VendorOutcome {
  devices: ToolDevice[];
  warnings: string[];
  toolMissing: boolean;
  /** The tool that produced the devices, for Accelerator.detectedBy. */
  tool: string;
}

export interface VendorDetector {
  vendor: VendorId;
  /** Lower-case hex without 0x: "10de". */
  pciVendorIds: readonly string[];
  /**
   * Which of the vendor's PCI functions are accelerators, by class and device id: a BMC's VGA, an
   * integrated GPU or a CPU engine can carry the same vendor id and must not be counted.
   */
  isPciAccelerator(fn: PciFunction): boolean;
  /** What to install when the tool is missing but the PCI bus shows the vendor's cards. */
  driverHint: string;
  detect(run: ToolRunner): Promise<VendorOutcome>;
}

/** Thrown by parsers when the output is not the format they know. */
export class FormatError extends Error {
  override name = 'FormatError';
}
