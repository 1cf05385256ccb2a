import { describe, expect, it } from 'vitest';
import { parseWorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { CLASS_PRESETS } from '../../../orchestrator/workloads/presets.ts';

const base = { name: 'mill-ctl', tenant: 'acme', class: 'industrial-control', run: { runner: 'simulated' }, latency: { to: { site: 'fz-mawei-plant-3' } } };

describe('parseWorkloadSpec', () => {
  it('resolves the class preset and lets the spec override it', () => {
    const r = parseWorkloadSpec(base);
    expect(r.ok && r.spec.latency).toEqual({ to: { site: 'fz-mawei-plant-3' }, maxRttMs: 10 });
    expect(r.ok && r.spec.priority).toBe(CLASS_PRESETS['industrial-control'].priority);
    const o = parseWorkloadSpec({ ...base, priority: 42, latency: { to: { lat: 26, lon: 119.3 }, maxRttMs: 3 }, disconnect: { policy: 'replace' } });
    expect(o.ok && [o.spec.priority, o.spec.latency?.maxRttMs, o.spec.disconnect]).toEqual([42, 3, { policy: 'replace', graceMs: 120_000 }]);
  });

  it('names every field error with its path', () => {
    const r = parseWorkloadSpec({ name: 'Bad Name', tenant: '', class: 'hft', priority: 1.5, run: { runner: 'vm' }, needs: { accelerators: -1, vendors: ['acme'] } });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    for (const p of ['/name', '/tenant', '/class', '/priority', '/run/runner', '/needs/accelerators', '/needs/vendors/0']) expect(paths).toContain(p);
  });

  it('checks what the schema cannot: runner needs, domestic vs vendors, SLO target', () => {
    const r = parseWorkloadSpec({ ...base, run: { runner: 'container' }, needs: { domesticOnly: true, vendors: ['nvidia'] }, latency: undefined });
    expect(r.ok ? [] : r.errors.map((e) => e.path).sort()).toEqual(['/latency', '/needs/vendors', '/run/image']);
    const batch = parseWorkloadSpec({ name: 'etl', tenant: 't', class: 'batch', run: { runner: 'process', command: 'etl' } });
    expect(batch.ok && batch.spec.latency).toBeNull();
    expect(batch.ok && batch.spec.preemptible).toBe(true);
  });
});
