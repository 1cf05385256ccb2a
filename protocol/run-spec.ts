// What a workload runs: the `run` section of a workload spec, one contract for both ends. The
// orchestrator validates it when a workload is submitted (its API schema is checked against this
// type) and sends the whole spec as cmd.run.specJson; the agent decodes the `run` section here
// (decode = validate) and fills the defaults, so a field either side knows, the other knows too.

export type RunnerKind = 'process' | 'container' | 'simulated';
export const RUNNERS: readonly RunnerKind[] = ['process', 'container', 'simulated'];
export type RestartMode = 'never' | 'on-failure' | 'always';
export const RESTART_MODES: readonly RestartMode[] = ['never', 'on-failure', 'always'];

export interface RestartPolicy {
  mode: RestartMode;
  /** Attempts in total, the first run included; 0 means no limit. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export const DEFAULT_RESTART: RestartPolicy = {
  mode: 'on-failure',
  maxAttempts: 0,
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  factor: 2,
};

/** The `run` section as a client writes it and as it crosses the wire: only `runner` is required. */
export interface RunSpec {
  runner: RunnerKind;
  /** process: the executable; container: the command inside the image (optional). */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** container only. */
  image?: string;
  /** simulated only: how long it runs, how it ends, what load it reports. */
  durationMs?: number;
  exitCode?: number;
  nominalLoadPct?: number;
  /** A mode, or a policy (missing parts from DEFAULT_RESTART). */
  restart?: RestartMode | Partial<RestartPolicy>;
}

/** Every field of RunSpec, for schemas that must describe exactly these. */
export const RUN_SPEC_FIELDS = ['runner', 'command', 'args', 'env', 'cwd', 'image', 'durationMs', 'exitCode', 'nominalLoadPct', 'restart'] as const satisfies readonly (keyof RunSpec)[];

/** A RunSpec with every default filled in: what the agent runs. */
export type ResolvedRun = Required<Omit<RunSpec, 'restart'>> & { restart: RestartPolicy };

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Fills what a typed caller left out. */
export function resolveRun(spec: RunSpec): ResolvedRun {
  const restart = typeof spec.restart === 'string' ? { mode: spec.restart } : spec.restart;
  return {
    command: '',
    args: [],
    env: {},
    cwd: '',
    image: '',
    durationMs: 0,
    exitCode: 0,
    nominalLoadPct: 0,
    ...definedOnly(spec),
    runner: spec.runner,
    restart: { ...DEFAULT_RESTART, ...definedOnly(restart ?? {}) },
  };
}

/** Validates an untrusted `run` section (from JSON) and fills the defaults. */
export function decodeRun(v: unknown): Decoded<ResolvedRun> {
  return decodeWith(runOf, v);
}

/** cmd.run.specJson: the workload spec as JSON, of which the agent reads the `run` section. */
export function encodeSpecJson(spec: { run: RunSpec }): string {
  return JSON.stringify(spec);
}

export function decodeSpecJson(specJson: string): Decoded<ResolvedRun> {
  let doc: unknown;
  try {
    doc = JSON.parse(specJson);
  } catch (e) {
    return { ok: false, error: `specJson is not JSON: ${(e as Error).message}` };
  }
  if (!isObj(doc) || !isObj(doc.run)) return { ok: false, error: 'specJson must be an object with a "run" object (the workload spec)' };
  return decodeRun(doc.run);
}

// The checks a decoder of untrusted JSON builds on; the agent's state-dir records use them too.
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isNonNeg = (v: unknown): v is number => isNum(v) && v >= 0;

class Invalid extends Error {}
export function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Invalid(what);
}

/** Runs a decoder built on need(): its first failed check becomes the error, anything else throws on. */
export function decodeWith<T>(f: (v: unknown) => T, v: unknown): Decoded<T> {
  try {
    return { ok: true, value: f(v) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function restartOf(v: unknown): RestartPolicy {
  if (v === undefined) return { ...DEFAULT_RESTART };
  need(isStr(v) || isObj(v), 'run.restart must be "never", "on-failure", "always" or a restart policy object');
  const { mode, maxAttempts, initialDelayMs, maxDelayMs, factor } = { ...DEFAULT_RESTART, ...(isStr(v) ? { mode: v } : definedOnly(v)) } as Obj;
  need(isStr(mode) && (RESTART_MODES as readonly string[]).includes(mode), `restart.mode must be one of ${RESTART_MODES.join(', ')}`);
  need(isNonNeg(maxAttempts) && Number.isInteger(maxAttempts), 'restart.maxAttempts must be a whole number ≥ 0');
  need(isNonNeg(initialDelayMs) && isNonNeg(maxDelayMs), 'restart delays must be numbers ≥ 0');
  need(isNum(factor) && factor >= 1, 'restart.factor must be ≥ 1');
  return { mode: mode as RestartMode, maxAttempts, initialDelayMs, maxDelayMs, factor };
}

function runOf(v: unknown): ResolvedRun {
  need(isObj(v), 'spec must be an object');
  // Fields it does not know (from a newer orchestrator) are left out, so old agents run new specs.
  const { runner, command = '', args = [], env = {}, cwd = '', image = '', durationMs = 0, exitCode = 0, nominalLoadPct = 0 } = definedOnly(v);
  need(isStr(runner) && (RUNNERS as readonly string[]).includes(runner), `spec.runner must be one of ${RUNNERS.join(', ')}`);
  need(isStr(command) && isStr(cwd) && isStr(image), 'spec.command, cwd and image must be strings');
  need(Array.isArray(args) && args.every(isStr), 'spec.args must be a list of strings');
  need(isObj(env) && Object.values(env).every(isStr), 'spec.env must map names to strings');
  need(isNonNeg(durationMs) && isNum(exitCode) && isNonNeg(nominalLoadPct), 'spec.durationMs, exitCode, nominalLoadPct must be numbers');
  return {
    runner: runner as RunnerKind,
    command,
    args: [...(args as string[])],
    env: { ...(env as Record<string, string>) },
    cwd,
    image,
    durationMs,
    exitCode,
    nominalLoadPct,
    restart: restartOf(v.restart),
  };
}
