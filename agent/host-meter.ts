// What a host meter reads, shared by the /proc meter (host.ts) and the node-os-utils one
// (host-os-utils.ts), which host.ts loads on demand: here so neither imports the other.

/** One reading; net counters are cumulative bytes since boot, summed over the counted NICs. */
export interface MeterReading {
  cpuPct: number;
  memoryUsedPct: number;
  disk?: { freeBytes: number; totalBytes: number };
  net?: { rxBytes: number; txBytes: number };
}

export interface HostMeter {
  read(): Promise<MeterReading>;
}

/**
 * Interfaces whose traffic is counted: not loopback, and not the virtual peers and bridges that
 * carry the same bytes a physical NIC already counted (containers, VMs, CNI).
 */
export function countedNic(name: string): boolean {
  return name !== 'lo' && !/^(veth|docker|br-|virbr|cni|flannel|cali|vxlan|tun|tap|ifb)/.test(name);
}

/** The NICs' byte counters summed over the counted interfaces. */
export function sumNics(nics: Iterable<[string, { rxBytes: number; txBytes: number }]>): { rxBytes: number; txBytes: number } {
  let rxBytes = 0;
  let txBytes = 0;
  for (const [name, c] of nics) {
    if (!countedNic(name)) continue;
    rxBytes += c.rxBytes;
    txBytes += c.txBytes;
  }
  return { rxBytes, txBytes };
}
