// How many CPUs the agent may use: the scheduler affinity (availableParallelism) capped by a
// container's CPU quota (cgroup v2 cpu.max, or v1 cfs quota/period), which affinity does not
// show: a `--cpus=2` container on a 64-core host would otherwise run 64 BLAS threads on 2 CPUs.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface AllowedCpus {
  count: number;
  /** "affinity" or "cgroup quota 200000/100000". */
  source: string;
}

export async function allowedCpus(opts: { root?: string; affinity?: number } = {}): Promise<AllowedCpus> {
  const root = opts.root ?? '/';
  const affinity = opts.affinity ?? availableParallelism();
  const read = (p: string) => readFile(join(root, p), 'utf8').then((t) => t.trim(), () => undefined);
  let quota: number | undefined;
  let period: number | undefined;
  const v2 = await read('sys/fs/cgroup/cpu.max');
  if (v2) {
    const [q, p] = v2.split(/\s+/);
    if (q !== 'max') [quota, period] = [Number(q), Number(p)];
  } else {
    const q = Number(await read('sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    if (q > 0) [quota, period] = [q, Number(await read('sys/fs/cgroup/cpu/cpu.cfs_period_us'))];
  }
  if (quota && period && quota > 0 && period > 0) {
    const byQuota = Math.max(1, Math.ceil(quota / period));
    if (byQuota < affinity) return { count: byQuota, source: `cgroup quota ${quota}/${period}` };
  }
  return { count: affinity, source: 'affinity' };
}
