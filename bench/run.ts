// npm run bench [-- name-filter]: runs every bench/*.bench.ts in turn, each in a child process of
// its own with a time limit, prints one table per module and a summary, and writes the figures of
// the modules that finished to bench/results/latest.json so runs can be compared.
// A module that times out or crashes is reported as failed with the reason, its figures left
// out (never faked), and the run goes on to the next. A module may declare its own limit with
// `export const budgetMs = …`; the whole run stays within TOTAL_BUDGET_MS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODULE_BUDGET_MS, isFigure, type Figure, type ModuleMessage } from './figures.ts';

/** Under the 15 minutes `npm run bench` must take on a 2-core machine. */
const TOTAL_BUDGET_MS = 14 * 60_000;
/** What a module gets to start (tsx, imports) before its declared budget is known. */
const MIN_MODULE_MS = 10_000;
/** After SIGTERM, how long a module's process group has before SIGKILL. */
const KILL_GRACE_MS = 3000;

const dir = fileURLToPath(new URL('.', import.meta.url));
const CHILD = join(dir, 'run-module.ts');
const filter = process.argv[2];
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

interface Outcome {
  file: string;
  status: 'ok' | 'failed' | 'skipped';
  ms: number;
  figures: Figure[];
  reason?: string;
}

const deadline = Date.now() + TOTAL_BUDGET_MS;
const running = new Set<ChildProcess>();
const stopAll = (sig: NodeJS.Signals) => {
  for (const child of running) killGroup(child, 'SIGKILL');
  process.exit(sig === 'SIGINT' ? 130 : 143);
};
process.once('SIGINT', () => stopAll('SIGINT'));
process.once('SIGTERM', () => stopAll('SIGTERM'));

const outcomes: Outcome[] = [];
for (const file of modules) {
  const left = deadline - Date.now();
  if (left < MIN_MODULE_MS) {
    outcomes.push({ file, status: 'skipped', ms: 0, figures: [], reason: `the run's ${TOTAL_BUDGET_MS / 60_000} min budget is spent` });
    continue;
  }
  process.stderr.write(`bench: running ${file} …\n`);
  const o = await runModule(file, left);
  outcomes.push(o);
  if (o.status === 'ok') printTable(file, o.figures, o.ms);
  else process.stderr.write(`bench: ${file} failed after ${(o.ms / 1000).toFixed(1)} s: ${o.reason}\n`);
}

const all = outcomes.flatMap((o) => o.figures);
mkdirSync(join(dir, 'results'), { recursive: true });
writeFileSync(join(dir, 'results', 'latest.json'), JSON.stringify(all, null, 2) + '\n');
printSummary(outcomes);
process.stderr.write(`bench: ${all.length} figures written to bench/results/latest.json\n`);
if (outcomes.some((o) => o.status !== 'ok')) process.exitCode = 1;

/**
 * One module in its own process group (its own children too, so a kill leaves nothing behind),
 * limited to its declared budget (default DEFAULT_MODULE_BUDGET_MS) and what the run has left.
 */
function runModule(file: string, leftMs: number): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, join(dir, file)], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      detached: true,
    });
    running.add(child);
    let figures: Figure[] | undefined;
    let error: string | undefined;
    let timedOut: number | undefined;
    let stderrTail = '';
    let limitMs = Math.min(DEFAULT_MODULE_BUDGET_MS, leftMs);
    let timer = setTimeout(onTimeout, limitMs);
    function onTimeout() {
      timedOut = limitMs;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
    }
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d.toString('utf8')).slice(-4000);
    });
    child.on('message', (m: ModuleMessage) => {
      if (m?.kind === 'budget' && typeof m.ms === 'number' && m.ms > 0 && timedOut === undefined) {
        // The module's own limit, counted from its start.
        clearTimeout(timer);
        limitMs = Math.min(m.ms, leftMs);
        timer = setTimeout(onTimeout, Math.max(0, started + limitMs - Date.now()));
      } else if (m?.kind === 'figures' && Array.isArray(m.figures)) {
        const bad = m.figures.filter((f) => !isFigure(f));
        if (bad.length) process.stderr.write(`bench: ${file}: left out ${bad.length} figure(s) without a finite value: ${JSON.stringify(bad).slice(0, 300)}\n`);
        figures = m.figures.filter(isFigure);
      } else if (m?.kind === 'error' && typeof m.message === 'string') {
        error = m.message;
      }
    });
    child.on('error', (e) => (error ??= `could not start: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      // Whatever the module started and left running goes with it.
      killGroup(child, 'SIGKILL');
      const ms = Date.now() - started;
      if (timedOut !== undefined) {
        resolve({ file, status: 'failed', ms, figures: [], reason: `timed out: no result within its ${Math.round(timedOut / 1000)} s limit` });
      } else if (figures && code === 0) {
        resolve({ file, status: 'ok', ms, figures });
      } else {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve({ file, status: 'failed', ms, figures: [], reason: `${how}${error ? `: ${error}` : lastError(stderrTail)}` });
      }
    });
  });
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // Already gone.
  }
}

/** The error line of a crash report ("Error: …", "FATAL ERROR: … heap limit"), else the last line. */
function lastError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.findLast((l) => /^(\w*Error\b|FATAL ERROR)/.test(l)) ?? lines.at(-1);
  return line ? `: ${line.slice(0, 300)}` : '';
}

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
