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

  it('reads overflow as a word or with a cross-city SLO, and refuses what cannot hold', () => {
    const batch = { name: 'etl', tenant: 't', class: 'batch', run: { runner: 'simulated' } };
    const off = parseWorkloadSpec(batch);
    expect(off.ok && off.spec.overflow).toEqual({ allowed: false, maxRttMs: null });
    const word = parseWorkloadSpec({ ...batch, overflow: 'allow' });
    expect(word.ok && word.spec.overflow).toEqual({ allowed: true, maxRttMs: null });
    const slo = parseWorkloadSpec({ ...base, overflow: { policy: 'allow', maxRttMs: 25 } });
    expect(slo.ok && slo.spec.overflow).toEqual({ allowed: true, maxRttMs: 25 });
    const tighter = parseWorkloadSpec({ ...base, overflow: { policy: 'allow', maxRttMs: 5 } });
    expect(tighter.ok ? '' : tighter.errors.map((e) => `${e.path} ${e.message}`).join()).toMatch(/\/overflow\/maxRttMs .*tighter than the one here \(10 ms\)/);
    const sets = parseWorkloadSpec({ ...batch, replicas: 3, overflow: 'allow' });
    expect(sets.ok ? [] : sets.errors.map((e) => e.path)).toEqual(['/overflow']);
    const denied = parseWorkloadSpec({ ...batch, overflow: { policy: 'deny', maxRttMs: 30 } });
    expect(denied.ok ? [] : denied.errors.map((e) => e.path)).toEqual(['/overflow/maxRttMs']);
    const bad = parseWorkloadSpec({ ...batch, overflow: 'sometimes' });
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual(['/overflow']);
  });
});
