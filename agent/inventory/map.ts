// systeminformation's answers → the wire's HostInventory. Pure (the max clock's sysfs read is
// passed in), so it is tested on captured answers. The library's typings promise more than it
// gives: numbers come back null, -1 or NaN and unreadable strings as "-", so every field is
// checked here rather than trusted.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Disk, HostInventory, Nic } from '../../protocol/messages.ts';

/** The parts of systeminformation's answers we read (its typings, loosened to what it returns). */
export interface SiAnswers {
  system: { manufacturer?: unknown; model?: unknown; serial?: unknown; virtual?: unknown; virtualHost?: unknown };
  cpu: { manufacturer?: unknown; brand?: unknown; physicalCores?: unknown; cores?: unknown; speedMax?: unknown };
  mem: { total?: unknown };
  disks: ReadonlyArray<{ name?: unknown; device?: unknown; size?: unknown; type?: unknown }>;
  nics: ReadonlyArray<{ iface?: unknown; mac?: unknown; speed?: unknown; ip4?: unknown; ip6?: unknown; internal?: unknown }>;
  os: { distro?: unknown; release?: unknown; kernel?: unknown };
}

/** Placeholders systeminformation and DMI use for "not readable". */
const UNREADABLE = new Set(['-', 'unknown', 'not specified', 'to be filled by o.e.m.', 'default string', 'none', 'n/a']);

function text(v: unknown): string {
  if (typeof v !== 'string') return '';
  const t = v.trim();
  return UNREADABLE.has(t.toLowerCase()) ? '' : t;
}

/** A count or size: a finite number ≥ 0, else 0 (the wire's "unknown"). */
function amount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

export function toInventory(a: SiAnswers, cpufreqMaxMhz: number, source: string, collectedAtMs: number): HostInventory {
  const disks: Disk[] = a.disks.map((d) => ({ name: text(d.device) || text(d.name), model: text(d.name), sizeBytes: Math.round(amount(d.size)), type: text(d.type) }));
  // Loopback is not a NIC an operator cares about.
  const nics: Nic[] = a.nics
    .filter((n) => n.internal !== true)
    .map((n) => ({ name: text(n.iface), mac: text(n.mac), speedMbps: Math.round(amount(n.speed)), addresses: [text(n.ip4), text(n.ip6)].filter(Boolean) }));
  const siMhz = amount(a.cpu.speedMax) * 1000; // systeminformation gives GHz
  const virtual = a.system.virtual === true;
  return {
    systemVendor: text(a.system.manufacturer),
    systemModel: text(a.system.model),
    systemSerial: text(a.system.serial),
    cpuModel: [text(a.cpu.manufacturer), text(a.cpu.brand)].filter(Boolean).join(' '),
    cpuPhysicalCores: Math.round(amount(a.cpu.physicalCores)),
    cpuThreads: Math.round(amount(a.cpu.cores)),
    cpuMaxMhz: Math.round(siMhz > 0 ? siMhz : cpufreqMaxMhz),
    memoryMib: Math.round(amount(a.mem.total) / 2 ** 20),
    disks,
    nics,
    os: [text(a.os.distro), text(a.os.release)].filter(Boolean).join(' '),
    kernel: text(a.os.kernel),
    // The hypervisor as the library names it; a container it names only by its model.
    virtualization: virtual ? text(a.system.virtualHost) || (/docker/i.test(text(a.system.model)) ? 'docker' : 'unknown') : 'none',
    source,
    collectedAtMs,
  };
}

/**
 * The highest cpufreq cpuinfo_max_freq (kHz) over all CPUs, in MHz; 0 when the kernel exposes
 * none (VMs, containers without cpufreq).
 */
export async function cpufreqMaxMhz(sysfsRoot = '/sys'): Promise<number> {
  const dir = join(sysfsRoot, 'devices/system/cpu');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^cpu\d+$/.test(n));
  } catch {
    return 0;
  }
  let maxKhz = 0;
  for (const n of names) {
    try {
      const khz = Number((await readFile(join(dir, n, 'cpufreq/cpuinfo_max_freq'), 'utf8')).trim());
      if (Number.isFinite(khz) && khz > maxKhz) maxKhz = khz;
    } catch {
      // this CPU has no cpufreq
    }
  }
  return Math.round(maxKhz / 1000);
}
