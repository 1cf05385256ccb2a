// Host facts and load, read without child processes: node:os, /proc, statfs. A meter reads
// CPU %, memory, the root filesystem and the NICs' byte counters; this source turns the counters
// into rates. Two meters: /proc + statfs (the default), and node-os-utils (hostMeter:
// node-os-utils), which is loaded only when chosen, from its own file, because it costs memory and
// CPU the footprint target (agent.rss_mb ≤ 50) cannot spare: `npm run bench -- agent` shows both
// (agent.rss_mb vs agent.rss_mb.node_os_utils). The one-shot inventory is agent/inventory/.
import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, loadavg, release, totalmem } from 'node:os';
import type { Host } from '../protocol/messages.ts';
import { bundledFile } from './bundled.ts';
import type { HostSample, HostSource } from './hardware.ts';
import { countedNic, sumNics, type HostMeter, type MeterReading } from './host-meter.ts';

export { countedNic, sumNics, type HostMeter, type MeterReading };

export type HostMeterName = 'proc' | 'node-os-utils';


export interface SystemHostOptions {
  meter?: HostMeterName;
  /** The filesystem whose free space is reported (default /). */
  diskPath?: string;
  /** Where /proc is (tests point it at a fake). */
  procRoot?: string;
}

export class SystemHostSource implements HostSource {
  private cached: Host | null = null;
  private meter: Promise<HostMeter> | null = null;
  private lastNet: { rxBytes: number; txBytes: number; atMs: number } | null = null;

  constructor(private readonly opts: SystemHostOptions = {}) {}

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
    this.meter ??= this.opts.meter === 'node-os-utils' ? loadOsUtilsMeter(this.opts.diskPath ?? '/') : Promise.resolve(new ProcMeter(this.opts));
    const r = await (await this.meter).read();
    const now = performance.now();
    const s: HostSample = {
      cpuPct: round1(r.cpuPct),
      memoryUsedPct: round1(r.memoryUsedPct),
      load1: round1(loadavg()[0] ?? 0),
      accelerators: [],
      acceleratorErrors: [],
    };
    if (r.disk) {
      s.diskFreeMib = Math.round(r.disk.freeBytes / 2 ** 20);
      s.diskTotalMib = Math.round(r.disk.totalBytes / 2 ** 20);
    }
    if (r.net) {
      const prev = this.lastNet;
      this.lastNet = { ...r.net, atMs: now };
      const rates = prev ? netRates(prev, r.net, (now - prev.atMs) / 1000) : undefined;
      if (rates) {
        s.netRxBytesPerS = rates.rx;
        s.netTxBytesPerS = rates.tx;
      }
    }
    return s;
  }
}

/**
 * Bytes per second between two readings; undefined on the first reading, a zero-length window,
 * or a counter that went backwards (a NIC removed or reset): one interval without rates beats a
 * negative or made-up one.
 */
export function netRates(prev: { rxBytes: number; txBytes: number }, now: { rxBytes: number; txBytes: number }, seconds: number): { rx: number; tx: number } | undefined {
  const rx = now.rxBytes - prev.rxBytes;
  const tx = now.txBytes - prev.txBytes;
  if (!(seconds > 0) || rx < 0 || tx < 0) return undefined;
  return { rx: Math.round(rx / seconds), tx: Math.round(tx / seconds) };
}


/** /proc/net/dev → bytes received and sent per interface; lines that do not parse are skipped. */
export function parseNetDev(text: string): Map<string, { rxBytes: number; txBytes: number }> {
  const out = new Map<string, { rxBytes: number; txBytes: number }>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // 8 receive columns, then 8 transmit columns; bytes are the first of each.
    if (f.length < 16 || !f.every((n) => Number.isFinite(n) && n >= 0)) continue;
    out.set(m[1]!, { rxBytes: f[0]!, txBytes: f[8]! });
  }
  return out;
}


/** node:os, /proc/meminfo, /proc/net/dev and statfs(2): no child process, no library. */
class ProcMeter implements HostMeter {
  private lastCpu: { busy: number; total: number } | null = null;
  private readonly procRoot: string;
  private readonly diskPath: string;

  constructor(opts: SystemHostOptions) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.diskPath = opts.diskPath ?? '/';
  }

  async read(): Promise<MeterReading> {
    const total = totalmem();
    const r: MeterReading = {
      cpuPct: this.cpuSinceLast(),
      memoryUsedPct: ((total - (await availableMemory(this.procRoot))) / total) * 100,
    };
    try {
      const fs = await statfs(this.diskPath);
      r.disk = { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch {
      // no such filesystem: disk fields stay absent
    }
    try {
      r.net = sumNics(parseNetDev(await readFile(`${this.procRoot}/net/dev`, 'utf8')));
    } catch {
      // not Linux: net fields stay absent
    }
    return r;
  }

  /** Busy share of all CPUs since the previous reading (since boot on the first). */
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

/**
 * agent/host-os-utils.ts, from dist/banyan-os-utils.mjs beside the bundle (kept out of the agent's
 * own file so an agent that does not choose it does not carry it) or from source.
 */
async function loadOsUtilsMeter(diskPath: string): Promise<HostMeter> {
  const file = bundledFile('banyan-os-utils.mjs') ?? new URL('./host-os-utils.ts', import.meta.url);
  const mod = (await import(file.href)) as typeof import('./host-os-utils.ts');
  return mod.createOsUtilsMeter(diskPath);
}

/** MemAvailable counts reclaimable cache as free, as `free` does; os.freemem() does not everywhere. */
async function availableMemory(procRoot: string): Promise<number> {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile(`${procRoot}/meminfo`, 'utf8'));
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
