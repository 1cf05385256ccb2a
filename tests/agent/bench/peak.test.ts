import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allowedCpus } from '../../../agent/bench/cpu/cores.ts';
import { cpuPeak, fp32FlopsPerCycle, parseCpuinfo, readCpuFacts } from '../../../agent/bench/cpu/peak.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/bench/${name}`, import.meta.url), 'utf8');

describe('parseCpuinfo + cpuPeak', () => {
  it('reads a real AMD EPYC (Zen 5, 2 vCPUs) cpuinfo and assumes 64 FP32 FLOPs/cycle', () => {
    const f = parseCpuinfo(fixture('cpuinfo-amd-epyc-zen5-2vcpu.txt'), 'x64');
    expect(f).toMatchObject({ vendor: 'AuthenticAMD', model: 'AMD EPYC', family: 26, logicalCpus: 2, threadsPerCore: 1, mhz: 2596 });
    expect(f.mhzSource).toBe('cpu MHz, current clock');
    const p = cpuPeak(f, 2)!;
    expect(p.flopsPerCycle).toBe(64);
    expect(p.gflops).toBeCloseTo((2 * 2596 * 64) / 1000, 9);
    expect(p.assumption).toMatch(/64 FP32 FLOPs\/cycle\/core .*Zen 5.* × 2 cores × 2596 MHz \(cpu MHz, current clock\)/);
  });

  it('prefers the cpufreq max clock and counts physical cores under SMT', () => {
    // Synthetic two-thread, one-core Intel block: the clock comes from sysfs, not the model name.
    const text = [0, 1]
      .map((i) => `processor\t: ${i}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\ncpu MHz\t\t: 1200.000\nsiblings\t: 2\ncpu cores\t: 1\nflags\t\t: fpu sse2 avx fma avx2 avx512f\n`)
      .join('\n');
    const f = parseCpuinfo(text, 'x64', '3900000\n');
    expect(f).toMatchObject({ mhz: 3900, mhzSource: 'cpufreq max', threadsPerCore: 2 });
    const p = cpuPeak(f, 2)!;
    expect(p).toMatchObject({ physicalCores: 1, flopsPerCycle: 64, gflops: 249.6 });
    const noSysfs = parseCpuinfo(text, 'x64');
    expect(noSysfs).toMatchObject({ mhz: 2500, mhzSource: 'model name base clock' });
  });

  it('picks the widest vector path the flags show', () => {
    const base = parseCpuinfo('processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: sse2\n', 'x64');
    const per = (flags: string, vendor = 'GenuineIntel', family?: number) =>
      fp32FlopsPerCycle({ ...base, vendor, ...(family ? { family } : {}), flags: new Set(flags.split(' ')) })?.perCycle;
    expect(per('sse2')).toBe(8);
    expect(per('sse2 avx')).toBe(16);
    expect(per('sse2 avx avx2 fma')).toBe(32);
    expect(per('avx2 fma avx512f')).toBe(64);
    expect(per('avx2 fma avx512f', 'AuthenticAMD', 25)).toBe(32);
    expect(per('avx2 fma avx512f', 'AuthenticAMD', 26)).toBe(64);
    expect(per('mmx')).toBeUndefined();
  });

  it('gives no peak for an arm64 host whose cpuinfo has no clock', () => {
    const f = parseCpuinfo(fixture('cpuinfo-arm64-neoverse-n1-sample.txt'), 'arm64');
    expect(f.logicalCpus).toBe(2);
    expect(fp32FlopsPerCycle(f)?.perCycle).toBe(16);
    expect(f.mhz).toBeUndefined();
    expect(cpuPeak(f, 2)).toBeUndefined();
  });

  it('takes the clock from the highest cpufreq cpuinfo_max_freq of a sysfs root, not the current MHz', async () => {
    // Fake root: the real Zen 5 cpuinfo (2596 MHz current) plus cpufreq max 3700 / 4100 MHz.
    const root = fileURLToPath(new URL('../../fixtures/bench/sysroot-zen5-cpufreq/', import.meta.url));
    const f = await readCpuFacts({ root });
    expect(f).toMatchObject({ mhz: 4100, mhzSource: 'cpufreq max', logicalCpus: 2 });
    const p = cpuPeak(f, 2)!;
    expect(p.gflops).toBeCloseTo((2 * 4100 * 64) / 1000, 9);
    expect(p.assumption).toMatch(/× 2 cores × 4100 MHz \(cpufreq max\)$/);
  });

  it('falls back to cpuinfo MHz, and says so, where the root has no cpufreq', async () => {
    const root = mkdtempSync(join(tmpdir(), 'banyan-sysroot-'));
    try {
      mkdirSync(join(root, 'proc'));
      copyFileSync(fileURLToPath(new URL('../../fixtures/bench/cpuinfo-amd-epyc-zen5-2vcpu.txt', import.meta.url)), join(root, 'proc/cpuinfo'));
      const f = await readCpuFacts({ root });
      expect(f).toMatchObject({ mhz: 2596, mhzSource: 'cpu MHz, current clock' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('allowedCpus', () => {
  const root = (name: string) => fileURLToPath(new URL(`../../fixtures/bench/${name}/`, import.meta.url));

  it('caps the affinity by a container CPU quota (cgroup v2 cpu.max, rounded up)', async () => {
    expect(await allowedCpus({ root: root('sysroot-cgroup2-2cpus'), affinity: 64 })).toEqual({ count: 2, source: 'cgroup quota 150000/100000' });
    expect(await allowedCpus({ root: root('sysroot-cgroup2-2cpus'), affinity: 1 })).toEqual({ count: 1, source: 'affinity' });
  });

  it('keeps the affinity when there is no quota (cgroup v1 quota -1) or no cgroup files', async () => {
    expect(await allowedCpus({ root: root('sysroot-cgroup1-nolimit'), affinity: 8 })).toEqual({ count: 8, source: 'affinity' });
    expect(await allowedCpus({ root: root('sysroot-zen5-cpufreq'), affinity: 4 })).toEqual({ count: 4, source: 'affinity' });
  });
});
