// Runs bench modules, each in a child process of its own (its own process group, so a kill takes
// whatever it started too) with a time limit: the module's declared `budgetMs` or the default,
// never past what the whole run has left. A module that times out, crashes or sends no figures
// is failed with the reason and its figures left out (never faked); the next one runs anyway.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODULE_BUDGET_MS, isFigure, LEFT_MS_ENV, type Figure, type ModuleMessage } from './figures.ts';

/** What a module gets to start (tsx, imports) before its declared budget is known. */
const MIN_MODULE_MS = 10_000;
/** After SIGTERM, how long a module's process group has before SIGKILL. */
const KILL_GRACE_MS = 3000;
/** After a module's process exits, how long its pipes may stay open (held by an escaped child). */
const EXIT_GRACE_MS = 5000;
const CHILD = fileURLToPath(new URL('./run-module.ts', import.meta.url));

export interface Outcome {
  file: string;
  status: 'ok' | 'failed' | 'skipped';
  ms: number;
  figures: Figure[];
  reason?: string;
}

export interface RunBenchOptions {
  dir: string;
  /** Module file names in dir, run in this order. */
  files: readonly string[];
  totalBudgetMs: number;
  /** For modules that declare no budgetMs. */
  defaultBudgetMs?: number;
  /** Least a module must have left to be started. */
  minModuleMs?: number;
  onStart?: (file: string) => void;
  onDone?: (o: Outcome) => void;
  /** Where module stderr goes (default this process's stderr). */
  stderr?: (d: Buffer) => void;
}

const running = new Set<ChildProcess>();

/** Kills every module still running (SIGINT/SIGTERM of the runner). */
export function killRunning(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
}

export async function runBench(opts: RunBenchOptions): Promise<Outcome[]> {
  const deadline = Date.now() + opts.totalBudgetMs;
  const outcomes: Outcome[] = [];
  for (const file of opts.files) {
    const left = deadline - Date.now();
    let o: Outcome;
    if (left < (opts.minModuleMs ?? MIN_MODULE_MS)) {
      o = { file, status: 'skipped', ms: 0, figures: [], reason: `not started: the run's ${Math.round(opts.totalBudgetMs / 1000)} s budget is spent` };
    } else {
      opts.onStart?.(file);
      o = await runModule(join(opts.dir, file), file, left, opts.defaultBudgetMs ?? DEFAULT_MODULE_BUDGET_MS, opts.stderr ?? ((d) => process.stderr.write(d)));
    }
    outcomes.push(o);
    opts.onDone?.(o);
  }
  return outcomes;
}

/**
 * One module in its own process group (its own children too, so a kill leaves nothing behind),
 * limited to its declared budget (else the default) and what the run has left.
 */
function runModule(path: string, file: string, leftMs: number, defaultBudgetMs: number, stderr: (d: Buffer) => void): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, [LEFT_MS_ENV]: String(leftMs) },
      detached: true,
    });
    running.add(child);
    let figures: Figure[] | undefined;
    let error: string | undefined;
    let timedOut: number | undefined;
    let stderrTail = '';
    let limitMs = Math.min(defaultBudgetMs, leftMs);
    let timer = setTimeout(onTimeout, limitMs);
    function onTimeout() {
      timedOut = limitMs;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
    }
    child.stderr!.on('data', (d: Buffer) => {
      stderr(d);
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
        if (bad.length) stderr(Buffer.from(`bench: ${file}: left out ${bad.length} figure(s) without a finite value: ${JSON.stringify(bad).slice(0, 300)}\n`));
        figures = m.figures.filter(isFigure);
      } else if (m?.kind === 'error' && typeof m.message === 'string') {
        error = m.message;
      }
    });
    child.on('error', (e) => (error ??= `could not start: ${e.message}`));
    let settled = false;
    child.on('exit', () => {
      // Whatever the module started and left running goes with it, and with them the pipes they
      // inherited; one that escaped the group (its own session) must not hold the run: stop waiting.
      killGroup(child, 'SIGKILL');
      setTimeout(() => {
        child.stderr!.destroy();
        finish(child.exitCode, child.signalCode);
      }, EXIT_GRACE_MS).unref();
    });
    child.on('close', (code, signal) => finish(code, signal));
    function finish(code: number | null, signal: NodeJS.Signals | null) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      running.delete(child);
      const ms = Date.now() - started;
      if (timedOut !== undefined) {
        resolve({ file, status: 'failed', ms, figures: [], reason: `timed out: no result within its ${Math.round(timedOut / 1000)} s limit` });
      } else if (figures && code === 0) {
        resolve({ file, status: 'ok', ms, figures });
      } else {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve({ file, status: 'failed', ms, figures: [], reason: `${how}${error ? `: ${error}` : lastError(stderrTail)}` });
      }
    }
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
