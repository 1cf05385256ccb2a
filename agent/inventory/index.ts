// The one-shot host inventory (system, CPU, memory, disks, NICs, OS, kernel, virtualisation),
// taken by systeminformation in a short-lived child process (child.ts) at agent start and on a
// hardware change, so the agent's steady state never holds the library. The child runs in its own
// process group and is killed as a whole at the timeout; whatever it prints is decoded and
// validated here. A failure is a result with a reason, never a throw: the agent goes on without.
import { fileURLToPath } from 'node:url';
import type { HostInventory } from '../../protocol/messages.ts';
import { bundledFile } from '../bundled.ts';
import { createToolRunner } from '../detect/exec.ts';
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

export async function collectInventory(opts: InventoryOptions = {}): Promise<InventoryResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_INVENTORY_TIMEOUT_MS;
  const child = opts.child ?? inventoryChild();
  const t0 = performance.now();
  const r = await createToolRunner({ env: opts.env ?? process.env, timeoutMs, maxOutputBytes: 1024 * 1024 })(child.command, child.args);
  const wallMs = Math.round(performance.now() - t0);
  const fail = (why: string): InventoryResult => ({
    ok: false,
    error: `host inventory ${why}; the agent carries on without it (run \`banyan detect --host\` to see the error, or set inventoryTimeoutMs: 0 to stop trying)`,
    wallMs,
  });
  if (!r.ok) {
    if (wallMs >= timeoutMs) return fail(`took longer than ${timeoutMs / 1000} s and was killed with its process group`);
    return fail(`child failed: ${r.message}`);
  }
  const d = decodeInventory(r.stdout);
  return d.ok ? { ok: true, inventory: d.inventory, wallMs } : fail(`child ${d.error}`);
}
