// A workload that only pretends: it runs for durationMs on the injected clock, then ends with
// spec.exitCode. Simulated fleets run thousands of these without a process each. Standing in for a
// real runner (a `process` or `container` spec on a simulated node), it runs until stopped, as the
// real thing would: its spec has no duration to script.
import type { Clock, ExitInfo, LaunchContext, RunHandle, Runner, ExecSpec } from './types.ts';
import { systemClock } from './types.ts';

export class SimulatedRunner implements Runner {
  private readonly loads = new Map<object, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  launch(spec: ExecSpec, _ctx: LaunchContext): RunHandle {
    return this.run(spec, scriptedMs(spec));
  }

  /** Continues a simulated run after an agent restart with the time it had left. */
  resume(spec: ExecSpec, startedAtMs: number): RunHandle {
    return this.run(spec, Math.max(0, startedAtMs + scriptedMs(spec) - this.clock.now()));
  }

  /** The nominal load of every simulated run in progress, for telemetry. */
  loadPct(): number {
    let sum = 0;
    for (const v of this.loads.values()) sum += v;
    return sum;
  }

  private run(spec: ExecSpec, remainingMs: number): RunHandle {
    const token = {};
    this.loads.set(token, spec.nominalLoadPct);
    let finish: (e: ExitInfo) => void = () => {};
    const exited = new Promise<ExitInfo>((resolve) => (finish = resolve));
    const end = (e: ExitInfo): void => {
      if (!this.loads.delete(token)) return;
      if (timer !== null) this.clock.clearTimeout(timer);
      finish(e);
    };
    const timer = Number.isFinite(remainingMs)
      ? this.clock.setTimeout(() => end({ code: spec.exitCode, signal: null, outputTail: `simulated run ended with exit code ${spec.exitCode}\n` }), remainingMs)
      : null;
    return {
      pid: 0,
      simulated: true,
      startTime: '',
      exited,
      signal: (sig) => end({ code: null, signal: sig, outputTail: `simulated run ended by ${sig}\n` }),
      // Dies with the agent; the next agent resumes it from its recorded start.
      detach: () => {
        this.loads.delete(token);
        if (timer !== null) this.clock.clearTimeout(timer);
      },
    };
  }
}

/** How long the run lasts: its scripted duration, or until stopped when it stands in for a real runner. */
function scriptedMs(spec: ExecSpec): number {
  return spec.runner === 'simulated' ? spec.durationMs : Infinity;
}
