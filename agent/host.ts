// Host facts from systeminformation, read once at start-up (several of its calls block on
// child processes); load samples from node-os-utils and os, cheap enough for every tick.
import { loadavg } from 'node:os';
import type { Host } from '../protocol/messages.ts';
import type { HostSample, HostSource } from './hardware.ts';

export class SystemHostSource implements HostSource {
  private cached: Host | null = null;
  private osutils: import('node-os-utils').OSUtils | null = null;

  async facts(): Promise<Host> {
    if (this.cached) return this.cached;
    const si = await import('systeminformation');
    const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
    this.cached = {
      hostname: os.hostname,
      os: `${os.distro} ${os.release}`.trim(),
      arch: os.arch,
      cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
      cpuCores: cpu.cores,
      memoryMib: Math.round(mem.total / 2 ** 20),
    };
    return this.cached;
  }

  async sample(): Promise<HostSample> {
    if (!this.osutils) {
      const { OSUtils } = await import('node-os-utils');
      this.osutils = new OSUtils();
    }
    const [cpu, mem] = await Promise.all([this.osutils.cpu.usage(), this.osutils.memory.info()]);
    return {
      cpuPct: cpu.success ? round1(cpu.data) : 0,
      memoryUsedPct: mem.success ? round1(mem.data.usagePercentage) : 0,
      load1: round1(loadavg()[0] ?? 0),
      accelerators: [],
    };
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
