// The one-shot host inventory (system, CPU, memory, disks, NICs, OS, kernel, virtualisation),
// taken by systeminformation in a short-lived child process (child.ts) at agent start and on a
// hardware change, so the agent's steady state never holds the library. The child runs at the
// lowest CPU priority (it is background work, and it competes with the agent's own start-up), in
// its own process group, killed as a whole at the timeout or when the agent stops; whatever it
// prints is decoded and validated here. A failure is a result with a reason, never a throw.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { HostInventory } from '../../protocol/messages.ts';
import { bundledFile } from '../bundled.ts';
import { decodeInventory } from './decode.ts';

export const DEFAULT_INVENTORY_TIMEOUT_MS = 15_000;

export interface InventoryChild {
  command: string;
  args: string[];
}

export interface InventoryOptions {
  timeoutMs?: number;
  /** The program that prints the inventory; default: inventoryChild(). */
  child?: InventoryChild;
  env?: NodeJS.ProcessEnv;
  /** The agent stopping: the child is killed, the result says so. */
  signal?: AbortSignal;
}

export type InventoryResult = ({ ok: true; inventory: HostInventory } | { ok: false; error: string }) & { wallMs: number };

/**
 * dist/banyan-inventory.mjs beside the bundle (the installed agent has no node_modules), or the
 * TypeScript entry through tsx from a checkout. Plain node either way: no --jitless, no limits.
 */
export function inventoryChild(): InventoryChild {
  const bundled = bundledFile('banyan-inventory.mjs');
  if (bundled) return { command: process.execPath, args: [fileURLToPath(bundled)] };
  return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./child.ts', import.meta.url))] };
}

const MAX_OUTPUT_BYTES = 1024 * 1024;
const LOWEST_PRIORITY = 19;

export async function collectInventory(opts: InventoryOptions = {}): Promise<InventoryResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_INVENTORY_TIMEOUT_MS;
  const t0 = performance.now();
  const r = await runChild(opts.child ?? inventoryChild(), timeoutMs, opts);
  const wallMs = Math.round(performance.now() - t0);
  let why: string;
  if (r.ok) {
    const d = decodeInventory(r.stdout);
    if (d.ok) return { ok: true, inventory: d.inventory, wallMs };
    why = `child ${d.error}`;
  } else why = r.why;
  return {
    ok: false,
    error: `host inventory ${why}; the agent carries on without it (run \`banyan detect --host\` to see the error, or set inventoryTimeoutMs: 0 to stop trying)`,
    wallMs,
  };
}

type ChildOutcome = { ok: true; stdout: string } | { ok: false; why: string };

function runChild(child: InventoryChild, timeoutMs: number, opts: InventoryOptions): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve({ ok: false, why: 'was not taken: the agent is stopping' });
    const p = spawn(child.command, child.args, { env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (p.pid !== undefined) {
      try {
        setPriority(p.pid, LOWEST_PRIORITY);
      } catch {
        // not allowed here: it runs at the agent's priority
      }
    }
    let failure: string | undefined;
    const killGroup = (why: string) => {
      failure ??= why;
      try {
        if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => killGroup(`took longer than ${timeoutMs / 1000} s and was killed with its process group`), timeoutMs);
    const onAbort = () => killGroup('was cut short: the agent is stopping');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > MAX_OUTPUT_BYTES) killGroup(`child printed more than ${MAX_OUTPUT_BYTES} bytes; it must print one JSON object`);
      else out.push(b);
    });
    p.stderr.on('data', (b: Buffer) => void (stderr = (stderr + b.toString('utf8')).slice(-2000)));
    p.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= e.code === 'ENOENT' ? `child ${child.command} not found` : `child could not be started: ${e.message}`;
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failure) return resolve({ ok: false, why: failure });
      if (code !== 0) {
        const line = stderr.split('\n').find((l) => l.trim()) ?? 'no output on stderr';
        return resolve({ ok: false, why: `child failed: ${child.command} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}: ${line.trim().slice(0, 200)}` });
      }
      resolve({ ok: true, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}
