// npm run bench:readme: writes the figures of the last full `npm run bench` into the README, so
// every figure there comes from one run: the Benchmarks table (rebuilt from
// bench/results/latest.json) and each `<!--fig:NAME-->value<!--/fig-->` in the prose (NAME a
// figure, or run.wall_s / run.status from bench/results/run.json). Refuses a partial run (one
// started with a name filter) and a README naming a figure the run does not have.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFigure, type Figure, type RunSummary } from './figures.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = fileURLToPath(new URL('./results/', import.meta.url));
const TABLE_HEAD = '| figure | value | unit | how it was measured |';

/** How the README writes a value: thousands separated, 3 significant digits below 10. */
export function formatFigure(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(2);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

export function renderReadme(readme: string, figures: readonly Figure[], run: RunSummary): { text: string; unknown: string[] } {
  const byName = new Map(figures.map((f) => [f.name, f]));
  const start = readme.indexOf(TABLE_HEAD);
  if (start < 0) throw new Error(`README has no benchmarks table (a line "${TABLE_HEAD}")`);
  const end = readme.indexOf('\n\n', start);
  const rows = figures.map((f) => `| \`${f.name}\` | ${formatFigure(f.value)} | ${f.unit} | ${f.note.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`);
  let text = readme.slice(0, start) + [TABLE_HEAD, '| --- | ---: | --- | --- |', ...rows].join('\n') + (end < 0 ? '\n' : readme.slice(end));
  const unknown: string[] = [];
  text = text.replace(/<!--fig:([A-Za-z0-9_.-]+)-->(.*?)<!--\/fig-->/g, (whole, name: string) => {
    const value = name === 'run.wall_s' ? Math.round(run.wallS).toLocaleString('en-US') : name === 'run.status' ? run.status : byName.has(name) ? formatFigure(byName.get(name)!.value) : null;
    if (value === null) {
      unknown.push(name);
      return whole;
    }
    return `<!--fig:${name}-->${value}<!--/fig-->`;
  });
  return { text, unknown };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const run = JSON.parse(readFileSync(`${results}run.json`, 'utf8')) as RunSummary;
  if (run.filter) {
    console.error(`bench:readme: the last run was partial (npm run bench -- ${run.filter}); run the whole of npm run bench first`);
    process.exit(1);
  }
  const figures = (JSON.parse(readFileSync(`${results}latest.json`, 'utf8')) as unknown[]).filter(isFigure);
  const path = `${root}README.md`;
  const { text, unknown } = renderReadme(readFileSync(path, 'utf8'), figures, run);
  if (unknown.length) {
    console.error(`bench:readme: the README names figures this run does not have: ${unknown.join(', ')}; README left as it was`);
    process.exit(1);
  }
  writeFileSync(path, text);
  console.log(`bench:readme: ${figures.length} figures from the run of ${new Date(run.atMs).toISOString()} (${run.status}) written to README.md`);
}
