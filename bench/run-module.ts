// One bench module in a process of its own, started by bench/run.ts: tells the runner the
// module's declared budget, runs it, and sends its figures (or why it failed) over IPC.
import { pathToFileURL } from 'node:url';
import type { BenchModule, ModuleMessage } from './figures.ts';

const file = process.argv[2];
if (!file || !process.send) throw new Error('bench/run-module.ts is started by bench/run.ts: npm run bench [-- name]');

// The runner ends a module that ran past its limit with SIGTERM: exit, so 'exit' hooks run
// (brokers a module started in process groups of their own are killed there).
process.once('SIGTERM', () => process.exit(143));

const send = (m: ModuleMessage) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));

try {
  const mod = (await import(pathToFileURL(file).href)) as { default: BenchModule; budgetMs?: unknown };
  if (typeof mod.budgetMs === 'number') await send({ kind: 'budget', ms: mod.budgetMs });
  const figures = await mod.default();
  await send({ kind: 'figures', figures });
  // Servers or timers a module left behind must not keep its process, and the run, waiting.
  process.exit(0);
} catch (e) {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  await send({ kind: 'error', message: ((e as Error).message ?? String(e)).split('\n')[0]!.slice(0, 300) });
  process.exit(1);
}
