// npm run bench [-- name-filter]: runs every bench/*.bench.ts in turn, prints one table per
// module and writes all figures to bench/results/latest.json so runs can be compared.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { BenchModule, Figure } from './figures.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2];
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const all: Figure[] = [];
for (const file of modules) {
  process.stderr.write(`bench: running ${file} …\n`);
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: BenchModule };
    const figures = await mod.default();
    all.push(...figures);
    printTable(file, figures, Date.now() - started);
  } catch (e) {
    process.stderr.write(`bench: ${file} failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

mkdirSync(join(dir, 'results'), { recursive: true });
writeFileSync(join(dir, 'results', 'latest.json'), JSON.stringify(all, null, 2) + '\n');
process.stderr.write(`bench: ${all.length} figures written to bench/results/latest.json\n`);

function printTable(file: string, figures: Figure[], ms: number): void {
  const rows = figures.map((f) => [f.name, fmt(f.value), f.unit, f.note]);
  const head = ['figure', 'value', 'unit', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(`\n## ${file} (${(ms / 1000).toFixed(1)} s)`);
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
