// Runs a benchmark child process (the torch script, a site command) in its own process group,
// so cancel and timeout kill it and anything it forked. stdout is collected and parsed as one
// JSON value; stderr is streamed line by line to the caller (progress) and its tail kept for errors.
import { spawn } from 'node:child_process';
import { BenchError } from './types.ts';

export interface JsonChildOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onStderrLine?: (line: string) => void;
  /** A name for messages: "torch_gemm.py", "site benchmark command". */
  label: string;
  maxOutputBytes?: number;
}

export interface JsonChildResult {
  exitCode: number | null;
  json: unknown;
  stderrTail: string;
}

const KILL_GRACE_MS = 2000;

export function runJsonChild(command: string, args: readonly string[], opts: JsonChildOptions): Promise<JsonChildResult> {
  const limit = opts.maxOutputBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new BenchError('aborted', `${opts.label} cancelled before it started`));
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderrTail = '';
    let pending = '';
    let failure: BenchError | undefined;

    const kill = (why: BenchError) => {
      failure ??= why;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(
      () => kill(new BenchError('timeout', `${opts.label} ran past its ${Math.round(opts.timeoutMs / 1000)} s budget; give a larger --budget or a smaller size`)),
      opts.timeoutMs,
    );
    const onAbort = () => kill(new BenchError('aborted', `${opts.label} cancelled`));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > limit) kill(new BenchError('bad_output', `${opts.label} printed more than ${limit} bytes; it must print one JSON object`));
      else out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = pending + d.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        stderrTail = (stderrTail + line + '\n').slice(-2000);
        opts.onStderrLine?.(line);
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= new BenchError(
        'unavailable',
        e.code === 'ENOENT' ? `${opts.label}: ${command} not found; install it or fix the configured path` : `${opts.label}: ${e.message}`,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pending) stderrTail = (stderrTail + pending).slice(-2000);
      if (failure) return reject(failure);
      const stdout = Buffer.concat(out).toString('utf8').trim();
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        return reject(
          new BenchError(
            'bad_output',
            `${opts.label} exited ${code} without a JSON object on stdout (got ${JSON.stringify(stdout.slice(0, 200))}); stderr: ${stderrTail.trim().slice(-300)}`,
          ),
        );
      }
      resolve({ exitCode: code, json, stderrTail });
    });
  });
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

/** A benchmark script's stderr progress line: {"progress": 0.4, "phase": "throughput"}. */
export function parseProgress(line: string): { phase: string; fraction: number } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line) as { progress?: unknown; phase?: unknown };
    if (typeof o.progress === 'number' && typeof o.phase === 'string') return { phase: o.phase, fraction: Math.min(1, Math.max(0, o.progress)) };
  } catch {
    // Not a progress line: Python warnings also go to stderr.
  }
  return undefined;
}
