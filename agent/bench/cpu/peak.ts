// Theoretical FP32 peak of the host CPU: physical cores × clock × FP32 FLOPs per cycle, the
// last from the vector extensions /proc/cpuinfo lists. Every figure says which assumption it
// took, because cpuinfo cannot tell FMA unit counts or turbo clocks for certain.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CpuFacts {
  arch: string;
  vendor: string;
  model: string;
  /** x86 "cpu family" (AMD 25 = Zen 3/4, 26 = Zen 5). */
  family?: number;
  flags: ReadonlySet<string>;
  logicalCpus: number;
  /** SMT threads per physical core (siblings / cpu cores), 1 when unknown. */
  threadsPerCore: number;
  mhz?: number;
  mhzSource: string;
}

export interface CpuPeak {
  gflops: number;
  flopsPerCycle: number;
  physicalCores: number;
  mhz: number;
  /** "32 FP32 FLOPs/cycle/core (…) × 2 cores × 2596 MHz (cpu MHz, current clock)". */
  assumption: string;
}

/** Parses /proc/cpuinfo (x86 or arm64 layout); the sysfs max clock, in kHz, wins when given. */
export function parseCpuinfo(text: string, arch: string, maxFreqKhz?: string): CpuFacts {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (name: string): string | undefined => {
    const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm');
    for (const b of blocks) {
      const m = re.exec(b);
      if (m) return m[1]!.trim();
    }
    return undefined;
  };
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean));
  const model = field('model name') ?? field('Model') ?? field('CPU part') ?? 'unknown CPU';
  const siblings = Number(field('siblings'));
  const cores = Number(field('cpu cores'));
  const threadsPerCore = siblings > 0 && cores > 0 && siblings >= cores ? Math.round(siblings / cores) : 1;

  let mhz: number | undefined;
  let mhzSource = 'unknown';
  const khz = Number(maxFreqKhz?.trim());
  const ghzInName = /@\s*([\d.]+)\s*GHz/i.exec(model);
  const current = blocks.map((b) => Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(b)?.[1])).filter((v) => v > 0);
  if (khz > 0) {
    mhz = khz / 1000;
    mhzSource = 'cpufreq max';
  } else if (ghzInName) {
    mhz = Number(ghzInName[1]) * 1000;
    mhzSource = 'model name base clock';
  } else if (current.length) {
    mhz = Math.max(...current);
    mhzSource = 'cpu MHz, current clock';
  }
  const family = Number(field('cpu family'));
  return {
    arch,
    ...(family > 0 ? { family } : {}),
    vendor: field('vendor_id') ?? field('CPU implementer') ?? 'unknown',
    model,
    flags,
    logicalCpus: Math.max(blocks.length, 1),
    threadsPerCore,
    ...(mhz !== undefined ? { mhz: Math.round(mhz) } : {}),
    mhzSource,
  };
}

/** FP32 FLOPs per cycle per physical core for the widest FMA path the flags show. */
export function fp32FlopsPerCycle(f: CpuFacts): { perCycle: number; why: string } | undefined {
  const has = (flag: string) => f.flags.has(flag);
  const amd = f.vendor === 'AuthenticAMD' || f.vendor === 'HygonGenuine';
  if (has('avx512f')) {
    if (amd && (f.family ?? 0) >= 26) return { perCycle: 64, why: 'AVX-512 on AMD Zen 5 (family 26): 2×512-bit FMA pipes' };
    if (amd) return { perCycle: 32, why: 'AVX-512 on AMD Zen 4: 2×256-bit FMA pipes' };
    return { perCycle: 64, why: 'AVX-512: 2×512-bit FMA units (SKUs with one unit reach half)' };
  }
  if (has('avx2') && has('fma')) return { perCycle: 32, why: 'AVX2+FMA: 2×256-bit FMA units' };
  if (has('avx')) return { perCycle: 16, why: 'AVX without FMA: one 256-bit add + one 256-bit mul' };
  if (has('sse2')) return { perCycle: 8, why: 'SSE2: one 128-bit add + one 128-bit mul' };
  if (f.arch === 'arm64' && has('asimd')) return { perCycle: 16, why: 'Arm NEON: 2×128-bit FMA pipes (Neoverse N1 class)' };
  return undefined;
}

/** Undefined when the clock or the vector width cannot be known: no peak beats a guessed one. */
export function cpuPeak(f: CpuFacts, logicalCpusUsed: number): CpuPeak | undefined {
  const fpc = fp32FlopsPerCycle(f);
  if (!fpc || f.mhz === undefined) return undefined;
  // SMT siblings share one core's FMA units: count physical cores only.
  const physicalCores = Math.max(1, Math.floor(logicalCpusUsed / f.threadsPerCore));
  const gflops = (physicalCores * f.mhz * fpc.perCycle) / 1000;
  return {
    gflops,
    flopsPerCycle: fpc.perCycle,
    physicalCores,
    mhz: f.mhz,
    assumption: `${fpc.perCycle} FP32 FLOPs/cycle/core (${fpc.why}) × ${physicalCores} cores × ${f.mhz} MHz (${f.mhzSource})`,
  };
}

export interface CpuFactsSources {
  /** Filesystem root holding proc/cpuinfo and sys/devices/system/cpu (tests point it at a fixture). */
  root?: string;
}

/**
 * The host's CPU facts; the clock is the highest cpufreq `cpuinfo_max_freq` of any CPU (the
 * boost clock the vector units reach), not the current one. Without cpufreq (most VMs) it falls
 * back to the model name's rated clock, then to cpuinfo's current MHz; `mhzSource` says which.
 * (lscpu's "CPU max MHz" is read from the same cpufreq files, so it is no further fallback.)
 */
export async function readCpuFacts(sources: CpuFactsSources = {}): Promise<CpuFacts> {
  const root = sources.root ?? '/';
  const text = await readFile(join(root, 'proc/cpuinfo'), 'utf8').catch(() => '');
  const cpuDir = join(root, 'sys/devices/system/cpu');
  const cpus = await readdir(cpuDir).catch(() => [] as string[]);
  const maxKhz = await Promise.all(
    cpus.filter((d) => /^cpu\d+$/.test(d)).map((d) => readFile(join(cpuDir, d, 'cpufreq/cpuinfo_max_freq'), 'utf8').then(Number, () => NaN)),
  );
  const best = Math.max(0, ...maxKhz.filter((k) => k > 0));
  return parseCpuinfo(text, process.arch, best > 0 ? String(best) : undefined);
}
