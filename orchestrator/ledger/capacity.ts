// The city's capacity by site, as the reports count it: nominal FP16-eq PFLOPS of every node that
// has announced itself and is not offline, the domestic part, and the measured figure.
import type { Birth, BenchReport } from '../../protocol/messages.ts';
import type { SiteCapacity, SnapshotEntry } from './entries.ts';

export interface CapacityNode {
  site: string;
  status: string;
  birth: Birth | null;
  bench: BenchReport | null;
}

export function siteCapacity(nodes: Iterable<CapacityNode>): SiteCapacity[] {
  const sites = new Map<string, SiteCapacity>();
  for (const n of nodes) {
    if (!n.birth || n.status === 'offline') continue;
    const site = n.birth.location.site || n.site;
    const s = sites.get(site) ?? { site, nominalPflops: 0, domesticPflops: 0, measuredPflops: 0 };
    const measured = new Map((n.bench?.results ?? []).map((r) => [r.target, r.fp16?.tflops ?? 0]));
    for (const a of n.birth.accelerators) {
      const t = (a.nominal.tflops ?? 0) / 1000;
      s.nominalPflops += t;
      if (a.domestic) s.domesticPflops += t;
      s.measuredPflops += (measured.get(`acc:${a.index}`) ?? 0) / 1000;
    }
    sites.set(site, s);
  }
  return [...sites.values()].sort((a, b) => (a.site < b.site ? -1 : 1)).map(roundSite);
}

export function snapshotOf(day: string, sites: SiteCapacity[]): SnapshotEntry {
  const total = (k: keyof Omit<SiteCapacity, 'site'>) => round6(sites.reduce((a, s) => a + s[k], 0));
  return { kind: 'snapshot', day, nominalPflops: total('nominalPflops'), measuredPflops: total('measuredPflops'), domesticPflops: total('domesticPflops'), sites };
}

function roundSite(s: SiteCapacity): SiteCapacity {
  return { site: s.site, nominalPflops: round6(s.nominalPflops), domesticPflops: round6(s.domesticPflops), measuredPflops: round6(s.measuredPflops) };
}

/** Sums of floats keep a clean figure (12.756764 P, not 12.756764000000006). */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
