// A workload that only pretends: it runs for durationMs on the injected clock, then ends with
// spec.exitCode. Simulated fleets run thousands of these without a process each.
import type { Clock, ExitInfo, LaunchContext, RunHandle, Runner, ExecSpec } from './types.ts';
import { systemClock } from './types.ts';

export class SimulatedRunner implements Runner {
  private readonly loads = new Map<object, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  launch(spec: ExecSpec, _ctx: LaunchContext): RunHandle {
    return this.run(spec, spec.durationMs);
  }

  /** Continues a simulated run after an agent restart with the time it had left. */
  resume(spec: ExecSpec, startedAtMs: number): RunHandle {
    return this.run(spec, Math.max(0, startedAtMs + spec.durationMs - this.clock.now()));
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
      this.clock.clearTimeout(timer);
      finish(e);
    };
    const timer = this.clock.setTimeout(
      () => end({ code: spec.exitCode, signal: null, outputTail: `simulated run ended with exit code ${spec.exitCode}\n` }),
      remainingMs,
    );
    return {
      pid: 0,
      startTime: '',
      exited,
      signal: (sig) => end({ code: null, signal: sig, outputTail: `simulated run ended by ${sig}\n` }),
      // Dies with the agent; the next agent resumes it from its recorded start.
      detach: () => {
        this.loads.delete(token);
        this.clock.clearTimeout(timer);
      },
    };
  }
}
