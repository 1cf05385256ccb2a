// Host facts and load from node:os and /proc, read without child processes. systeminformation
// and node-os-utils block on child processes and cost memory the footprint target
// (agent.rss_mb ≤ 50) cannot spare: dropping them (and loading agent/bench only when a benchmark
// runs) took agent.rss_mb from 120 to 96 MB in bench/agent.bench.ts.
import { readFile } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, loadavg, release, totalmem } from 'node:os';
import type { Host } from '../protocol/messages.ts';
import type { HostSample, HostSource } from './hardware.ts';

export class SystemHostSource implements HostSource {
  private cached: Host | null = null;
  private lastCpu: { busy: number; total: number } | null = null;

  async facts(): Promise<Host> {
    if (this.cached) return this.cached;
    const list = cpus();
    this.cached = {
      hostname: hostname(),
      os: `${await distro()} ${release()}`.trim(),
      arch: arch(),
      cpuModel: list[0]?.model.trim() ?? 'unknown',
      cpuCores: list.length,
      memoryMib: Math.round(totalmem() / 2 ** 20),
    };
    return this.cached;
  }

  async sample(): Promise<HostSample> {
    const total = totalmem();
    return {
      cpuPct: round1(this.cpuSinceLast()),
      memoryUsedPct: round1(((total - (await availableMemory())) / total) * 100),
      load1: round1(loadavg()[0] ?? 0),
      accelerators: [],
      acceleratorErrors: [],
    };
  }

  /** Busy share of all CPUs since the previous sample (since boot on the first). */
  private cpuSinceLast(): number {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      const all = t.user + t.nice + t.sys + t.idle + t.irq;
      total += all;
      busy += all - t.idle;
    }
    const prev = this.lastCpu;
    this.lastCpu = { busy, total };
    const dTotal = prev ? total - prev.total : total;
    return dTotal > 0 ? ((prev ? busy - prev.busy : busy) / dTotal) * 100 : 0;
  }
}

/** MemAvailable counts reclaimable cache as free, as `free` does; os.freemem() does not everywhere. */
async function availableMemory(): Promise<number> {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return freemem();
}

async function distro(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
    return m?.[1] ?? '';
  } catch {
    return '';
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
