// The workload spec: what a workload runs, what it needs, and where its latency SLO points.
// parseWorkloadSpec validates untrusted input (the API body) and resolves class presets.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RESTART_MODES, RUNNERS, type RunSpec } from '../../protocol/run-spec.ts';
import { VENDORS, type VendorId } from '../../protocol/vendors.ts';
import { notAllowed } from '../suggest.ts';
import type { LatencyTarget } from '../latency/types.ts';
import { CLASS_PRESETS, type DisconnectPolicy, type PlacementStrategy, type WorkloadClass } from './presets.ts';

const Literals = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));

/** Replicas of one workload stand on distinct districts, sites or nodes (placement/filters/spread.ts). */
export type SpreadRule = 'district' | 'site' | 'node';
export const SPREAD_RULES: readonly SpreadRule[] = ['district', 'site', 'node'];
export const MAX_REPLICAS = 64;

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes, ≤63 chars' });

export const LatencyTargetSchema = Type.Union([
  Type.Object({ site: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ landmark: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object(
    { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
    { additionalProperties: false },
  ),
]);

/** The API's description of protocol/run-spec.ts's RunSpec (checked against it below and in tests). */
export const RunSchema = Type.Object(
  {
    runner: Literals(RUNNERS),
    command: Type.Optional(Type.String({ minLength: 1 })),
    args: Type.Optional(Type.Array(Type.String())),
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    cwd: Type.Optional(Type.String()),
    image: Type.Optional(Type.String({ minLength: 1 })),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    exitCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    nominalLoadPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    restart: Type.Optional(
      Type.Union([
        Literals(RESTART_MODES),
        Type.Object(
          {
            mode: Type.Optional(Literals(RESTART_MODES)),
            maxAttempts: Type.Optional(Type.Integer({ minimum: 0 })),
            initialDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
            maxDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
            factor: Type.Optional(Type.Number({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

// The schema and the wire type describe the same thing: the same fields, each type assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const runSchemaMatchesRunSpec: Same<keyof Static<typeof RunSchema>, keyof RunSpec> & Same<Static<typeof RunSchema>, RunSpec> = true;
void runSchemaMatchesRunSpec;

export const NeedsSchema = Type.Object(
  {
    accelerators: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
    vendors: Type.Optional(Type.Array(Literals(Object.keys(VENDORS) as VendorId[]), { minItems: 1 })),
    domesticOnly: Type.Optional(Type.Boolean()),
    minFp16Tflops: Type.Optional(Type.Number({ minimum: 0 })),
    basis: Type.Optional(Literals(['nominal', 'measured'] as const)),
    memoryMibPerAccelerator: Type.Optional(Type.Integer({ minimum: 0 })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export const WorkloadSpecInputSchema = Type.Object(
  {
    name: Name,
    tenant: Type.String({ minLength: 1 }),
    class: Literals(Object.keys(CLASS_PRESETS) as WorkloadClass[]),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    preemptible: Type.Optional(Type.Boolean()),
    disconnect: Type.Optional(
      Type.Object(
        { policy: Literals(['keep', 'replace'] as const), graceMs: Type.Optional(Type.Integer({ minimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
    strategy: Type.Optional(Literals(['binpack', 'spread'] as const)),
    greenWeight: Type.Optional(Type.Number({ minimum: 0, maximum: 10, description: "weight of the 'green' score (FP16-eq TFLOPS per watt), batch work only; 0 turns it off" })),
    run: RunSchema,
    needs: Type.Optional(NeedsSchema),
    latency: Type.Optional(
      Type.Object(
        { to: LatencyTargetSchema, maxRttMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLICAS, description: `instances to run, 1 to ${MAX_REPLICAS}` })),
    spread: Type.Optional(Literals(SPREAD_RULES)),
    overflow: Type.Optional(
      Type.Union([
        Literals(['allow', 'deny'] as const),
        Type.Object(
          {
            policy: Literals(['allow', 'deny'] as const),
            maxRttMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'the SLO in another city; omit for none' })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

export type WorkloadSpecInput = Static<typeof WorkloadSpecInputSchema>;

export interface Needs {
  accelerators: number;
  /** Empty: any vendor. */
  vendors: VendorId[];
  domesticOnly: boolean;
  minFp16Tflops: number;
  basis: 'nominal' | 'measured';
  memoryMibPerAccelerator: number;
  labels: Record<string, string>;
}

/** A validated spec with every preset default resolved: what placement and the store consume. */
export interface WorkloadSpec {
  name: string;
  tenant: string;
  class: WorkloadClass;
  priority: number;
  preemptible: boolean;
  disconnect: { policy: DisconnectPolicy; graceMs: number };
  strategy: PlacementStrategy;
  /** Weight of the `green` placement score; 0 for latency classes. */
  greenWeight: number;
  run: RunSpec;
  needs: Needs;
  /** null: no latency SLO. */
  latency: { to: LatencyTarget; maxRttMs: number } | null;
  /** Instances to run, each placed by the same rules (1: a plain workload). */
  replicas: number;
  /** What two replicas may not share. */
  spread: SpreadRule;
  /**
   * Whether it may run in another city of the federation when none here fits (README
   * "Federation"), and the looser SLO it accepts there (null: none; the nearest fit still wins).
   */
  overflow: { allowed: boolean; maxRttMs: number | null };
}

export interface SpecError {
  /** JSON pointer to the field, e.g. /needs/accelerators. */
  path: string;
  message: string;
}

export type ParseResult = { ok: true; spec: WorkloadSpec } | { ok: false; errors: SpecError[] };

export function parseWorkloadSpec(input: unknown): ParseResult {
  const schemaErrors = collectSchemaErrors(WorkloadSpecInputSchema, input);
  if (schemaErrors.length > 0) return { ok: false, errors: schemaErrors };
  const raw = input as WorkloadSpecInput;
  const errors = semanticErrors(raw);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, spec: resolvePresets(raw) };
}

function collectSchemaErrors(schema: TSchema, input: unknown): SpecError[] {
  const seen = new Set<string>();
  const errors: SpecError[] = [];
  for (const e of Value.Errors(schema, input)) {
    // A union reports each branch's complaint; one line per path keeps the message readable.
    const path = e.path === '' ? '/' : e.path;
    if (seen.has(path)) continue;
    seen.add(path);
    errors.push({ path, message: describe(e.message, e.schema, e.value) });
  }
  return errors;
}

function describe(message: string, schema: TSchema, value: unknown): string {
  const allowed = literalsOf(schema);
  if (allowed) return notAllowed(value, allowed, 'nothing');
  const hint = (schema as { description?: string }).description;
  return hint ? `${message} (${hint})` : message;
}

/** The values of a union of string literals (an enum), or null for any other schema. */
export function literalsOf(schema: TSchema): string[] | null {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf?.length || !anyOf.every((s) => typeof s.const === 'string')) return null;
  return anyOf.map((s) => s.const as string);
}

function semanticErrors(raw: WorkloadSpecInput): SpecError[] {
  const errors: SpecError[] = [];
  const { run } = raw;
  if (run.runner === 'process' && !run.command) errors.push({ path: '/run/command', message: "runner 'process' needs a command to run" });
  if (run.runner === 'container' && !run.image) errors.push({ path: '/run/image', message: "runner 'container' needs an image, e.g. registry.local/app:1.2" });
  if (run.runner !== 'simulated' && run.exitCode !== undefined)
    errors.push({ path: '/run/exitCode', message: "exitCode scripts the 'simulated' runner only; remove it or use runner 'simulated'" });
  const needs = raw.needs;
  if (needs?.domesticOnly && needs.vendors?.some((v) => !VENDORS[v].domestic))
    errors.push({ path: '/needs/vendors', message: 'domesticOnly is set but the vendor list names a non-domestic vendor; drop one of the two' });
  const preset = CLASS_PRESETS[raw.class];
  if (raw.latency && preset.maxRttMs === null && raw.latency.maxRttMs === undefined)
    errors.push({ path: '/latency/maxRttMs', message: `class '${raw.class}' has no default SLO; give latency.maxRttMs` });
  if (raw.greenWeight !== undefined && raw.greenWeight > 0 && preset.maxRttMs !== null)
    errors.push({ path: '/greenWeight', message: `the green score applies to batch work only; class '${raw.class}' places by latency first (drop greenWeight or set it to 0)` });
  if (!raw.latency && preset.maxRttMs !== null)
    errors.push({ path: '/latency', message: `class '${raw.class}' has a latency SLO (${preset.maxRttMs} ms); say where to with latency.to: {site}, {landmark} or {lat, lon}` });
  const overflow = typeof raw.overflow === 'string' ? { policy: raw.overflow } : raw.overflow;
  if (overflow?.policy === 'allow' && (raw.replicas ?? 1) > 1)
    errors.push({ path: '/overflow', message: 'overflow applies to a single workload; submit replicas without it, or one workload per replica' });
  if (overflow?.policy === 'deny' && overflow.maxRttMs !== undefined)
    errors.push({ path: '/overflow/maxRttMs', message: "maxRttMs is the SLO in another city; it needs policy 'allow'" });
  const localSlo = raw.latency?.maxRttMs ?? preset.maxRttMs;
  if (overflow?.maxRttMs !== undefined && raw.latency && localSlo !== null && overflow.maxRttMs < localSlo)
    errors.push({ path: '/overflow/maxRttMs', message: `the SLO in another city (${overflow.maxRttMs} ms) is tighter than the one here (${localSlo} ms); give it at least ${localSlo} ms or omit it` });
  return errors;
}

function resolvePresets(raw: WorkloadSpecInput): WorkloadSpec {
  const preset = CLASS_PRESETS[raw.class];
  const n = raw.needs ?? {};
  const maxRttMs = raw.latency?.maxRttMs ?? preset.maxRttMs;
  return {
    name: raw.name,
    tenant: raw.tenant,
    class: raw.class,
    priority: raw.priority ?? preset.priority,
    preemptible: raw.preemptible ?? preset.preemptible,
    disconnect: {
      policy: raw.disconnect?.policy ?? preset.disconnect.policy,
      graceMs: raw.disconnect?.graceMs ?? preset.disconnect.graceMs,
    },
    strategy: raw.strategy ?? preset.strategy,
    greenWeight: raw.greenWeight ?? preset.greenWeight,
    run: raw.run,
    needs: {
      accelerators: n.accelerators ?? 0,
      vendors: n.vendors ?? [],
      domesticOnly: n.domesticOnly ?? false,
      minFp16Tflops: n.minFp16Tflops ?? 0,
      basis: n.basis ?? 'nominal',
      memoryMibPerAccelerator: n.memoryMibPerAccelerator ?? 0,
      labels: n.labels ?? {},
    },
    latency: raw.latency && maxRttMs !== null ? { to: raw.latency.to, maxRttMs } : null,
    replicas: raw.replicas ?? 1,
    spread: raw.spread ?? 'node',
    overflow: resolveOverflow(raw.overflow),
  };
}

function resolveOverflow(o: WorkloadSpecInput['overflow']): WorkloadSpec['overflow'] {
  if (o === undefined || o === 'deny') return { allowed: false, maxRttMs: null };
  if (o === 'allow') return { allowed: true, maxRttMs: null };
  return { allowed: o.policy === 'allow', maxRttMs: o.policy === 'allow' ? (o.maxRttMs ?? null) : null };
}
