// PCI fallback: reads /sys/bus/pci/devices/*/{vendor,device,class} (no lspci needed) so a card
// whose vendor tool is missing or broken is still listed. The sysfs root is an option so tests
// point it at a generated tree.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { byCodePoint } from '../order.ts';

export interface PciDevice {
  /** "0000:83:00.0" */
  busId: string;
  /** lower-case hex without 0x: "10de" */
  vendorId: string;
  deviceId: string;
  /** "030200" */
  classCode: string;
}

export interface PciScan {
  devices: PciDevice[];
  warnings: string[];
}

/** One PCI function as sysfs shows it (lower-case hex without 0x). */
export interface PciFunction {
  vendorId: string;
  deviceId: string;
  /** "030200" */
  classCode: string;
}

/** Decides whether a function is an accelerator; each vendor detector owns its own rule. */
export type PciAcceleratorRule = (fn: PciFunction) => boolean;

/** The function's class starts with one of these ("0302", "12"). */
export function classIn(fn: PciFunction, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => fn.classCode.startsWith(p));
}

/** The function's device id is in one of these inclusive ranges ("0bd0-0bdb") or equals one ("d802"). */
export function deviceIn(fn: PciFunction, ids: readonly string[]): boolean {
  const dev = parseInt(fn.deviceId, 16);
  return ids.some((r) => {
    const [lo, hi = lo] = r.split('-').map((h) => parseInt(h!, 16));
    return dev >= lo! && dev <= hi!;
  });
}

/** Function-0 devices that `isAccelerator` accepts (each vendor's class and device-id rule). */
export async function scanPci(sysfsRoot: string, isAccelerator: PciAcceleratorRule): Promise<PciScan> {
  const dir = join(sysfsRoot, 'bus', 'pci', 'devices');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    return { devices: [], warnings: [`PCI fallback unavailable: cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  const devices: PciDevice[] = [];
  const warnings: string[] = [];
  // sysfs attributes are made by the kernel on read and never wait on a disk: a synchronous read
  // takes microseconds, where an async one costs three thread-pool hops (open, read, close).
  for (const name of names.filter((n) => n.endsWith('.0'))) {
    try {
      const [vendorId, deviceId, classCode] = ['vendor', 'device', 'class'].map((f) => hex(readFileSync(join(dir, name, f), 'utf8')));
      if (!isAccelerator({ vendorId: vendorId!, deviceId: deviceId!, classCode: classCode! })) continue;
      devices.push({ busId: normalizeBusId(name) ?? name, vendorId: vendorId!, deviceId: deviceId!, classCode: classCode! });
    } catch (e) {
      warnings.push(`PCI fallback: cannot read ${join(dir, name)} (${(e as Error).message})`);
    }
  }
  devices.sort((a, b) => byCodePoint(a.busId, b.busId));
  return { devices, warnings };
}

function hex(s: string): string {
  return s.trim().toLowerCase().replace(/^0x/, '');
}

/** "00000000:83:00.0", "0000:8A:00.0", "00:01:00.0", "4d:00.0" → "0000:83:00.0"; undefined if not a BDF. */
export function normalizeBusId(s: string | undefined): string | undefined {
  const m = s?.trim().match(/^(?:([0-9a-f]+):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i);
  if (!m) return undefined;
  const domain = (m[1] ?? '0').slice(-4).padStart(4, '0');
  return `${domain}:${m[2]!.padStart(2, '0')}:${m[3]!.padStart(2, '0')}.${m[4]}`.toLowerCase();
}
