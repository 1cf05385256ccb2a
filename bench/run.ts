// npm run bench [-- name-filter]: runs every bench/*.bench.ts in turn through bench/runner.ts
// (each in its own process with a time limit), prints one table per module and a summary with
// each module's wall time, and writes the figures of the modules that finished to
// bench/results/latest.json so runs can be compared. Exit status 1 when a module failed.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure, RunSummary } from './figures.ts';
import { killRunning, runBench, type Outcome } from './runner.ts';

/** Under the 15 minutes `npm run bench` must take on the 2-core machine. */
const TOTAL_BUDGET_MS = 14 * 60_000;

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killRunning();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

const outcomes = await runBench({
  dir,
  files,
  totalBudgetMs: TOTAL_BUDGET_MS,
  onStart: (file) => process.stderr.write(`bench: running ${file} …\n`),
  onDone: (o) => {
    if (o.status === 'ok') printTable(o.file, o.figures, o.ms);
    else process.stderr.write(`bench: ${o.file} ${o.status} after ${(o.ms / 1000).toFixed(1)} s: ${o.reason}\n`);
  },
});

const all = outcomes.flatMap((o) => o.figures);
mkdirSync(join(dir, 'results'), { recursive: true });
writeFileSync(join(dir, 'results', 'latest.json'), JSON.stringify(all, null, 2) + '\n');
const failed = outcomes.filter((o) => o.status !== 'ok');
const summary: RunSummary = {
  atMs: Date.now(),
  filter: filter ?? null,
  wallS: outcomes.reduce((s, o) => s + o.ms, 0) / 1000,
  status: failed.length === 0 ? `all ${outcomes.length} modules ok` : `${failed.length} of ${outcomes.length} modules ${failed.map((o) => `${o.file.replace('.bench.ts', '')} ${o.status}`).join(', ')}`,
};
writeFileSync(join(dir, 'results', 'run.json'), JSON.stringify(summary, null, 2) + '\n');
printSummary(outcomes);
process.stderr.write(`bench: ${all.length} figures written to bench/results/latest.json\n`);
if (outcomes.some((o) => o.status !== 'ok')) process.exitCode = 1;

function printTable(file: string, figures: Figure[], ms: number): void {
  const rows = figures.map((f) => [f.name, fmt(f.value), f.unit, f.note]);
  console.log(`\n## ${file} (${(ms / 1000).toFixed(1)} s)`);
  printRows(['figure', 'value', 'unit', 'note'], rows, [1]);
}

function printSummary(list: Outcome[]): void {
  const total = list.reduce((s, o) => s + o.ms, 0);
  console.log(`\n## summary (${(total / 1000).toFixed(1)} s)`);
  printRows(
    ['module', 'status', 'wall s', 'figures', 'reason'],
    list.map((o) => [o.file, o.status, (o.ms / 1000).toFixed(1), String(o.figures.length), o.reason ?? '']),
    [2, 3],
  );
}

function printRows(head: string[], rows: string[][], rightAligned: number[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}
