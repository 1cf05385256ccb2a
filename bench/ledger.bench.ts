// The books: durable ledger appends on this machine's disk (each one fsynced before it resolves,
// one at a time and 64 at once sharing a write), and supply/demand/progress reports over a year of
// a 10k-node fleet held in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../orchestrator/ledger/ledger.ts';
import { FileLedgerStore, MemoryLedgerStore } from '../orchestrator/ledger/store.ts';
import { snapshotOf } from '../orchestrator/ledger/capacity.ts';
import type { LedgerBody, UsageEntry } from '../orchestrator/ledger/entries.ts';
import { supplyReport } from '../orchestrator/reports/supply.ts';
import { demandReport } from '../orchestrator/reports/demand.ts';
import { progressReport } from '../orchestrator/reports/progress.ts';
import { median, type Figure } from './figures.ts';

const NODES = 10_000;
const SITES = 500;
const WEEKS = 52;
export const budgetMs = 240_000;

export default async function ledgerBench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'banyan-ledger-bench-'));
  try {
    const one = await Ledger.open(new FileLedgerStore(join(dir, 'one.jsonl')));
    const N = 500;
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await one.append(usage(i % NODES, 0));
    const sequential = N / ((performance.now() - t0) / 1000);
    await one.close();

    const many = await Ledger.open(new FileLedgerStore(join(dir, 'many.jsonl')));
    t0 = performance.now();
    for (let round = 0; round < 200; round++) await Promise.all(Array.from({ length: 64 }, (_, i) => many.append(usage(i, round))));
    const grouped = (200 * 64) / ((performance.now() - t0) / 1000);
    await many.close();

    // A year: every node runs one workload a week, and the city takes a snapshot a day.
    const year = await Ledger.open(new MemoryLedgerStore(), () => Date.UTC(2026, 11, 31));
    const bodies: LedgerBody[] = [];
    const sites = Array.from({ length: SITES }, (_, s) => ({ site: `site-${s}`, nominalPflops: 2 + (s % 7), domesticPflops: 1.7 + (s % 7) * 0.85, measuredPflops: 1.5 }));
    for (let d = 0; d < 365; d++) bodies.push(snapshotOf(new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10), sites));
    for (let w = 0; w < WEEKS; w++) for (let n = 0; n < NODES; n++) bodies.push(usage(n, w));
    t0 = performance.now();
    for (let i = 0; i < bodies.length; i += 10_000) await year.append(...bodies.slice(i, i + 10_000));
    bodies.length = 0;
    const chainPerS = (365 + WEEKS * NODES) / ((performance.now() - t0) / 1000);
    const time = (f: () => unknown) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        f();
        runs.push(performance.now() - s);
      }
      return median(runs);
    };
    const entries = year.entries();
    const supplyMs = time(() => supplyReport(entries, '2026H2'));
    const demandMs = time(() => demandReport(entries, 2026));
    const progressMs = time(() => progressReport(entries));
    const v0 = performance.now();
    if (!year.verify().ok) throw new Error('the bench ledger does not verify');
    const verifyMs = performance.now() - v0;
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    return [
      { name: 'ledger.append_per_s', value: sequential, unit: 'entries/s', note: `${N} usage entries appended one at a time, each fsynced before the next` },
      { name: 'ledger.append_per_s.grouped', value: grouped, unit: 'entries/s', note: '200 rounds of 64 concurrent appends sharing one write + fsync' },
      { name: 'ledger.chain_per_s', value: chainPerS, unit: 'entries/s', note: 'hashing and chaining in memory (no disk), batches of 10k' },
      { name: 'report.supply_ms.10k', value: supplyMs, unit: 'ms', note: `median of 5; 2026H2 over ${entries.length.toLocaleString('en')} entries: ${NODES / 1000}k nodes x one usage a week for a year, ${SITES} sites, 365 snapshots (H2 also recomputes H1 for the cap)` },
      { name: 'report.demand_ms.10k', value: demandMs, unit: 'ms', note: 'median of 5; same year' },
      { name: 'report.progress_ms.10k', value: progressMs, unit: 'ms', note: 'median of 5; same year' },
      { name: 'ledger.verify_ms.10k', value: verifyMs, unit: 'ms', note: `one run; SHA-256 chain over ${entries.length.toLocaleString('en')} entries` },
      { name: 'ledger.rss_mb.10k', value: rssMb, unit: 'MB', note: 'bench process RSS holding that year in memory' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function usage(node: number, week: number): UsageEntry {
  const start = Date.UTC(2026, 0, 1 + week * 7, 2) - 8 * 3_600_000;
  return {
    kind: 'usage',
    workloadId: `w-${node}-${week}`,
    tenant: `tenant-${node % 300}`,
    site: `site-${node % SITES}`,
    nodeId: `node-${node}`,
    accelerators: [{ index: 0, vendor: 'huawei', model: 'Ascend 910B', domestic: true, nominalTflops: 280, measuredTflops: null }],
    startMs: start,
    endMs: start + 8 * 3_600_000,
    closedBy: 'stopped',
    nominalTflops: 280,
    measuredTflops: null,
    pflopsHoursNominal: 2.24,
    pflopsHoursMeasured: null,
    acceleratorHours: 8,
    plan: { unit: 'pflops-hour', cnyPerUnit: 40 },
    feeCny: 89.6,
  };
}
