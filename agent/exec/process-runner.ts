// Runs a workload as a local process in its own process group (detached: setsid), so a stop
// signals everything it spawned, and so it keeps running when the agent itself goes away.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readProcStat, readTail } from './proc.ts';
import type { ExitInfo, LaunchContext, RunHandle, Runner, ExecSpec } from './types.ts';
import { visibilityEnv } from './visibility.ts';

export interface ChildCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export class ProcessRunner implements Runner {
  constructor(private readonly baseEnv: NodeJS.ProcessEnv = process.env) {}

  launch(spec: ExecSpec, ctx: LaunchContext): RunHandle {
    if (!spec.command) return failedHandle('the process spec has no command; set spec.command');
    return spawnGroup(
      {
        command: spec.command,
        args: spec.args,
        env: { ...spec.env, ...visibilityEnv(spec.vendor, ctx.acceleratorIndexes) },
        cwd: spec.cwd,
      },
      ctx.logPath,
      this.baseEnv,
    );
  }
}

/** Spawns one child in a new process group with stdout+stderr appended to logPath. */
export function spawnGroup(cmd: ChildCommand, logPath: string, baseEnv: NodeJS.ProcessEnv): RunHandle {
  // A file, not a pipe: a pipe would break (SIGPIPE) the workload once the agent dies.
  const out = openSync(logPath, 'w');
  let child;
  try {
    child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd || undefined,
      env: { ...baseEnv, ...cmd.env },
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (e) =>
      resolve({
        code: null,
        signal: null,
        error: `cannot start "${cmd.command}": ${e.message}; check the command and PATH`,
        permanent: true,
        outputTail: readTail(logPath),
      }),
    );
    child.once('exit', (code, signal) => resolve({ code, signal, outputTail: readTail(logPath) }));
  });
  const pid = child.pid ?? 0;
  const startTime = pid ? (readProcStat(pid)?.startTime ?? '') : '';
  return {
    pid,
    startTime,
    exited,
    signal: (sig) => signalGroup(pid, sig),
    detach: () => child.unref(),
  };
}

/** Signals a process group led by pid; a group already gone is not an error. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the group has exited already.
  }
}

/** A run that never started, ending at once with the reason. */
export function failedHandle(error: string, outputTail = ''): RunHandle {
  return {
    pid: 0,
    startTime: '',
    exited: Promise.resolve({ code: null, signal: null, error, permanent: true, outputTail }),
    signal: () => {},
    detach: () => {},
  };
}
