// A workload process the agent did not spawn in this life: it survived an agent restart. It is
// not our child, so there is no exit event and no exit status; we poll /proc until it is gone.
import { isSameProcessAlive, readTail } from './proc.ts';
import { signalGroup } from './process-runner.ts';
import type { Clock, ExitInfo, RunHandle } from './types.ts';

export const UNKNOWN_EXIT_MESSAGE =
  'exit code unknown: the process was adopted after an agent restart and is not the agent\'s child';

export function watchAdopted(
  pid: number,
  startTime: string,
  logPath: string,
  clock: Clock,
  pollMs: number,
  alive: (pid: number, startTime: string) => boolean = isSameProcessAlive,
): RunHandle {
  let resolveExit: (e: ExitInfo) => void = () => {};
  const exited = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
  let timer: unknown = null;
  const poll = (): void => {
    if (alive(pid, startTime)) {
      timer = clock.setTimeout(poll, pollMs);
      return;
    }
    resolveExit({ code: null, signal: null, error: UNKNOWN_EXIT_MESSAGE, outputTail: readTail(logPath) });
  };
  timer = clock.setTimeout(poll, pollMs);
  return {
    pid,
    startTime,
    exited,
    signal: (sig) => signalGroup(pid, sig),
    detach: () => clock.clearTimeout(timer),
  };
}
