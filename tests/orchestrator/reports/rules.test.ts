// Every subsidy rule at its edges (city-plan numbers): 99.9 vs 100 P, 79.9 vs 80 %, the city cap
// with pro rata and H2 getting what H1 left, a run across the half-year boundary, and the demand
// bands at CNY 100,000 and 300,000 with the 50/40/30 % years.
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../orchestrator/ledger/ledger.ts';
import { MemoryLedgerStore } from '../../../orchestrator/ledger/store.ts';
import type { LedgerBody, SiteCapacity, UsageEntry } from '../../../orchestrator/ledger/entries.ts';
import { snapshotOf } from '../../../orchestrator/ledger/capacity.ts';
import { UsageTracker } from '../../../orchestrator/ledger/usage.ts';
import { supplyReport } from '../../../orchestrator/reports/supply.ts';
import { demandReport } from '../../../orchestrator/reports/demand.ts';
import { parsePeriod } from '../../../orchestrator/reports/period.ts';
import { progressReport } from '../../../orchestrator/reports/progress.ts';
import { accelerator } from '../../helpers/envelopes.ts';

const local = (y: number, mo: number, d: number, h = 0) => Date.UTC(y, mo - 1, d, h) - 8 * 3_600_000;

function usage(site: string, tenant: string, startMs: number, hours: number, pflopsHours: number, feeCny: number): UsageEntry {
  return {
    kind: 'usage', workloadId: `w-${site}-${startMs}`, tenant, site, nodeId: `${site}-n1`, accelerators: [], startMs, endMs: startMs + hours * 3_600_000,
    closedBy: 'stopped', nominalTflops: (pflopsHours / hours) * 1000, measuredTflops: null, pflopsHoursNominal: pflopsHours, pflopsHoursMeasured: null,
    acceleratorHours: hours, plan: null, feeCny,
  };
}

async function ledgerOf(...bodies: LedgerBody[]) {
  const l = await Ledger.open(new MemoryLedgerStore(), () => local(2026, 9, 1));
  await l.append(...bodies);
  return l.entries();
}

const site = (name: string, nominalPflops: number, domesticShare: number): SiteCapacity => ({ site: name, nominalPflops, domesticPflops: nominalPflops * domesticShare, measuredPflops: 0 });

describe('periods', () => {
  it('are half-years and years in local time', () => {
    expect(parsePeriod('2026H1')).toMatchObject({ startMs: local(2026, 1, 1), endMs: local(2026, 7, 1), year: 2026 });
    expect(parsePeriod('2026H2')).toMatchObject({ startMs: local(2026, 7, 1), endMs: local(2027, 1, 1) });
    expect(parsePeriod('2026')).toMatchObject({ startMs: local(2026, 1, 1), endMs: local(2027, 1, 1) });
    expect(() => parsePeriod('2026Q1')).toThrow(/half-year like 2026H1/);
  });
});

describe('supply subsidy', () => {
  it('needs ≥100 P and ≥80 % domestic, and says by how much a site misses', async () => {
    const entries = await ledgerOf(
      snapshotOf('2026-03-01', [site('a-100', 100, 0.8), site('b-99.9', 99.9, 0.9), site('c-79.9', 150, 0.799)]),
      usage('a-100', 't', local(2026, 3, 2), 10, 876, 1000),
      usage('b-99.9', 't', local(2026, 3, 2), 10, 876, 1000),
      usage('c-79.9', 't', local(2026, 3, 2), 10, 876, 1000),
    );
    const r = supplyReport(entries, '2026H1');
    const by = Object.fromEntries(r.sites.map((s) => [s.site, s]));
    expect(by['a-100']).toMatchObject({ eligible: true, misses: [], soldUsedCny: 1000, subsidyCny: 5000 });
    // 876 PFLOPS-hours = 0.1 P-years → CNY 5,000.
    expect(by['a-100']!.usedPYears).toBeCloseTo(0.1, 12);
    expect(by['b-99.9']).toMatchObject({ eligible: false, subsidyCny: 0, misses: ['nominal 99.9 P is 0.1 P short of 100 P'] });
    expect(by['c-79.9']).toMatchObject({ eligible: false, subsidyCny: 0, misses: ['domestic share 79.9 % is 0.1 points short of 80 %'] });
    expect(r.capacityFrom).toBe('ledger snapshot of 2026-03-01');
    expect(r.rules.join('\n')).toMatch(/CNY 50,000 per P per year/);
  });

  it('applies the CNY 10 M yearly cap pro rata, and H2 gets only what H1 left', async () => {
    // Two eligible 1,000 P sites using 120 P-years each in H1: CNY 12 M before the cap.
    const used = 120 * 8760;
    const entries = await ledgerOf(
      snapshotOf('2026-01-02', [site('x', 1000, 1), site('y', 1000, 0.9)]),
      usage('x', 't', local(2026, 2, 1), 24, used * 0.75, 1),
      usage('y', 't', local(2026, 2, 1), 24, used * 1.25, 1),
      snapshotOf('2026-07-02', [site('x', 1000, 1), site('y', 1000, 0.9)]),
      usage('x', 't', local(2026, 8, 1), 24, 10 * 8760, 1),
    );
    const h1 = supplyReport(entries, '2026H1');
    expect(h1.totals.subsidyBeforeCapCny).toBe(12_000_000);
    expect(h1.totals.subsidyCny).toBe(10_000_000);
    expect(h1.sites.map((s) => s.subsidyCny)).toEqual([3_750_000, 6_250_000]);
    const h2 = supplyReport(entries, '2026H2');
    expect(h2.totals.capAvailableCny).toBe(0);
    expect(h2.totals.subsidyBeforeCapCny).toBe(500_000);
    expect(h2.totals.subsidyCny).toBe(0);
  });

  it('counts a run across the half-year boundary in each half by its hours there', async () => {
    const l = await Ledger.open(new MemoryLedgerStore());
    let now = local(2026, 6, 30, 20);
    const tracker = new UsageTracker({
      ledger: l,
      clock: () => now,
      node: () => ({ site: 's', lostAtMs: null, bench: [], accelerators: [accelerator({ index: 0, nominal: { tflops: 1000, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } })] }),
    });
    const w = { id: 'w', spec: { tenant: 't' }, state: 'running', nodeId: 'n', acceleratorIndexes: [0] };
    await tracker.observe(w);
    now = local(2026, 7, 1, 6);
    await tracker.observe({ ...w, state: 'stopped' });
    await l.append(snapshotOf('2026-06-01', [site('s', 100, 1)]), snapshotOf('2026-07-01', [site('s', 100, 1)]));
    expect(supplyReport(l.entries(), '2026H1').sites[0]!.usedPflopsHours).toBeCloseTo(4, 9);
    expect(supplyReport(l.entries(), '2026H2').sites[0]!.usedPflopsHours).toBeCloseTo(6, 9);
  });
});

describe('demand subsidy', () => {
  it('starts at CNY 100,000, pays 50/40/30 % in years 1–3, and sends ≥300,000 to the province', async () => {
    const day = local(2026, 5, 1);
    const entries = await ledgerOf(
      { kind: 'tenant', tenant: 'under', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2026 },
      { kind: 'tenant', tenant: 'edge', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2026 },
      { kind: 'tenant', tenant: 'y2', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2025 },
      { kind: 'tenant', tenant: 'y3', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2024 },
      { kind: 'tenant', tenant: 'y4', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2023 },
      { kind: 'tenant', tenant: 'top', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2026 },
      { kind: 'tenant', tenant: 'just-under-top', plan: { unit: 'pflops-hour', cnyPerUnit: 1 }, sinceYear: 2026 },
      usage('s', 'under', day, 1, 1, 99_999.99),
      usage('s', 'edge', day, 1, 1, 60_000),
      usage('s', 'edge', day + 3_600_000, 1, 1, 40_000),
      usage('s', 'y2', day, 1, 1, 200_000),
      usage('s', 'y3', day, 1, 1, 200_000),
      usage('s', 'y4', day, 1, 1, 200_000),
      usage('s', 'top', day, 1, 1, 300_000),
      usage('s', 'just-under-top', day, 1, 1, 299_999.99),
      usage('s', 'edge', local(2025, 12, 31, 10), 1, 1, 1_000_000),
    );
    const r = demandReport(entries, 2026);
    const by = Object.fromEntries(r.tenants.map((t) => [t.tenant, t]));
    expect(by['under']).toMatchObject({ band: 'none', subsidyCny: 0, note: 'below CNY 100,000 by 0.01' });
    expect(by['edge']).toMatchObject({ band: 'city', purchasesCny: 100_000, rate: 0.5, subsidyCny: 50_000 });
    expect(by['y2']).toMatchObject({ yearOnPlatform: 2, rate: 0.4, subsidyCny: 80_000 });
    expect(by['y3']).toMatchObject({ yearOnPlatform: 3, rate: 0.3, subsidyCny: 60_000 });
    expect(by['y4']).toMatchObject({ yearOnPlatform: 4, rate: 0, subsidyCny: 0 });
    expect(by['top']).toMatchObject({ band: 'provincial', subsidyCny: 0, note: expect.stringMatching(/provincial subsidy; the city tops up/) });
    expect(by['just-under-top']).toMatchObject({ band: 'city', subsidyCny: 150_000 });
    expect(r.rules.join('\n')).toMatch(/CNY 500,000 per enterprise per year/);
  });
});

describe('progress', () => {
  it('lists the daily snapshots against 400 P', async () => {
    const entries = await ledgerOf(snapshotOf('2026-03-02', [site('a', 300, 0.9)]), snapshotOf('2026-03-01', [site('a', 200, 0.5)]));
    const r = progressReport(entries);
    expect(r.points.map((p) => [p.day, p.nominalPflops, p.ofTarget, p.domesticShare])).toEqual([
      ['2026-03-01', 200, 0.5, 0.5],
      ['2026-03-02', 300, 0.75, 0.9],
    ]);
  });
});
