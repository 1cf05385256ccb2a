// A broker binary run as a child in its own process group: the tail of what it printed (for the
// error that says why it did not come up), and a stop that always ends it (TERM, then KILL).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Brokers still running in this process. Each has a process group of its own (so stop() ends what
 * it forked), which a kill of this process's group does not reach: on exit they are killed here,
 * or a timed-out bench left a 3-node NATS cluster spinning for the rest of the run.
 */
const live = new Set<BrokerChild>();
let exitHook = false;

export class BrokerChild {
  private out = '';
  private spawnError: Error | null = null;
  private readonly proc: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    opts: Pick<SpawnOptions, 'env' | 'cwd'> = {},
  ) {
    this.proc = spawn(command, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.out = (this.out + d.toString()).slice(-4000));
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.proc.once('error', (e) => (this.spawnError = e));
    live.add(this);
    this.proc.once('exit', () => live.delete(this));
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const c of live) if (c.proc.pid !== undefined) signal(-c.proc.pid, 'SIGKILL');
      });
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Why it is not running (spawn error or exit), or null while it runs. */
  get failure(): string | null {
    if (this.spawnError) return `cannot start ${this.name}: ${this.spawnError.message}`;
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return `${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}): ${this.tail()}`;
    }
    return null;
  }

  tail(lines = 15): string {
    return this.out.trim().split('\n').slice(-lines).join('\n');
  }

  /** TERM to the process; after graceMs, KILL to its whole group (children it started included). */
  async stop(graceMs = 5000): Promise<void> {
    const p = this.proc;
    if (p.pid === undefined) return;
    const exited = p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()));
    signal(p.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
    signal(-p.pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The first executable of: the env override, the given paths, the name on PATH; null if none. */
export function findBinary(name: string, envVar: string, paths: string[] = []): string | null {
  const fromEnv = process.env[envVar];
  const candidates = [...(fromEnv ? [fromEnv] : []), ...paths, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name))];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

/** Polls until ok() holds; throws saying what it waited for, the child's failure, and its output. */
export async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number, children: BrokerChild[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const c of children) {
      const f = c.failure;
      if (f) throw new Error(f);
    }
    try {
      if (await ok()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      const out = children.map((c) => `${c.name}: ${c.tail(5)}`).join('\n');
      throw new Error(`${what} not within ${timeoutMs / 1000} s${last ? ` (${last})` : ''}\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
