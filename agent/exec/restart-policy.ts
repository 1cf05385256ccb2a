// Whether and when a run that ended is started again.
import type { ExitInfo, RestartPolicy } from './types.ts';

export function shouldRestart(policy: RestartPolicy, exit: ExitInfo, attempt: number): boolean {
  if (exit.permanent) return false;
  if (policy.maxAttempts > 0 && attempt >= policy.maxAttempts) return false;
  if (policy.mode === 'always') return true;
  // An unknown exit status (adopted process) counts as a failure: re-running is safer than
  // silently losing a workload that crashed while the agent was away.
  return policy.mode === 'on-failure' && exit.code !== 0;
}

/** Exponential: initial × factor^(streak-1), capped; streak counts consecutive quick failures. */
export function restartDelayMs(policy: RestartPolicy, streak: number): number {
  const raw = policy.initialDelayMs * policy.factor ** Math.max(0, streak - 1);
  return Math.min(policy.maxDelayMs, Math.round(raw));
}
