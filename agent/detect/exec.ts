// Runs vendor tools asynchronously in their own process group, so a hung tool (or a child it
// forked) is killed as a whole when its timeout fires. Identical invocations within one
// detection share one process: AMD and Hygon both ask `rocm-smi`. A tool is looked up on PATH
// first, so the many tools a box does not have cost a few stat calls instead of a fork each, and
// at most `maxParallel` tools run at once (each one's timeout starts when it starts).
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type ToolResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; missing: boolean; message: string; stdout: string };

export type ToolRunner = (tool: string, args: readonly string[]) => Promise<ToolResult>;

export interface RunnerOptions {
  /** Environment for the tools; its PATH decides which tools exist. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Output beyond this is a garbage-output failure, not a memory problem. */
  maxOutputBytes?: number;
  /** Tools running at once. Default 8: a box has one or two vendors' tools, each called once or twice. */
  maxParallel?: number;
}

const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
const DEFAULT_MAX_PARALLEL = 8;

export function createToolRunner(opts: RunnerOptions): ToolRunner {
  const cache = new Map<string, Promise<ToolResult>>();
  const found = new Map<string, Promise<string | undefined>>();
  const slots = semaphore(opts.maxParallel ?? DEFAULT_MAX_PARALLEL);
  const locate = (tool: string) => {
    let p = found.get(tool);
    if (!p) found.set(tool, (p = findOnPath(tool, opts.env)));
    return p;
  };
  return (tool, args) => {
    const key = [tool, ...args].join('\u0000');
    let p = cache.get(key);
    if (!p) {
      p = locate(tool).then((path) =>
        path === undefined
          ? { ok: false, missing: true, message: `${tool} not found on PATH`, stdout: '' }
          : slots(() => runOnce(tool, path, args, opts)),
      );
      cache.set(key, p);
    }
    return p;
  };
}

/** The executable `tool` resolves to on the environment's PATH (a path with "/" is taken as is). */
async function findOnPath(tool: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (tool.includes('/')) return tool;
  // Without PATH, libuv's spawn would search /usr/bin:/bin; so does this.
  const dirs = (env['PATH'] ?? '/usr/bin:/bin').split(delimiter).filter((d) => d !== '');
  const hits = await Promise.all(
    dirs.map((d) =>
      access(join(d, tool), constants.X_OK).then(
        () => join(d, tool),
        () => undefined,
      ),
    ),
  );
  return hits.find((h) => h !== undefined);
}

function semaphore(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running < n) running++;
    // else the slot is handed over by the task that finishes
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

function runOnce(tool: string, path: string, args: readonly string[], opts: RunnerOptions): Promise<ToolResult> {
  const limit = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const seconds = formatSeconds(opts.timeoutMs);
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let failure: string | undefined;
    let settled = false;
    const finish = (r: ToolResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(path, [...args], {
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = `${tool} timed out after ${seconds} s; is the driver loaded, or is a device hung?`;
      killGroup();
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > limit) {
        failure ??= `${tool} printed more than ${limit} bytes; its output is not what we expect`;
        killGroup();
      } else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT';
      finish({
        ok: false,
        missing,
        message: missing ? `${tool} not found on PATH` : `${tool} could not be started: ${e.message}`,
        stdout: '',
      });
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (failure) return finish({ ok: false, missing: false, message: failure, stdout });
      if (code === 0) return finish({ ok: true, stdout, stderr });
      const why = firstLine(stderr) || firstLine(stdout) || 'no output';
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish({ ok: false, missing: false, message: `${tool} ${how}: ${why}`, stdout });
    });
  });
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '');
  return line ? line.trim().slice(0, 200) : '';
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}
