// The faults a rehearsal can inject, as a scenario's timeline or live from the CLI. Each names
// when (ms after the fleet is up), what, and which nodes — by id, or drawn deterministically from
// a district / site kind with the run's seed.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Ms = Type.Integer({ minimum: 0 });
const District = Type.String({ pattern: '^[a-z]+$' });

/** Which nodes a fault hits: explicit ids, or `count` drawn from a district / site kind / the fleet. */
export const SelectSchema = Type.Object(
  {
    nodes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    district: Type.Optional(District),
    siteKind: Type.Optional(Type.String()),
    site: Type.Optional(Type.String()),
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Only nodes running work of this class when the timeline is planned (e.g. "trading"). */
    running: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const at = { atMs: Ms };
const sel = { select: Type.Optional(SelectSchema) };

export const FaultSchema = Type.Union([
  /** The agent process dies (the broker fires its Last Will); restarted from its state dir after restartAfterMs. */
  Type.Object({ kind: Type.Literal('crash'), ...at, ...sel, restartAfterMs: Type.Optional(Ms) }, { additionalProperties: false }),
  /** Frozen (SIGSTOP-like): connected, but says and hears nothing until durationMs is over. */
  Type.Object({ kind: Type.Literal('hang'), ...at, ...sel, durationMs: Ms }, { additionalProperties: false }),
  /** A district cut off from every other district (and from the broker in the core), or one site's uplink cut. */
  Type.Object(
    { kind: Type.Literal('partition'), ...at, durationMs: Ms, district: Type.Optional(District), site: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  /** Extra delay and loss on every path into a district. */
  Type.Object(
    { kind: Type.Literal('latency-spike'), ...at, durationMs: Ms, district: District, extraRttMs: Type.Number({ minimum: 0 }), extraLoss: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('broker-restart'), ...at, downMs: Ms }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('orchestrator-restart'), ...at, downMs: Ms }, { additionalProperties: false }),
  /** The nodes' clocks jump by skewMs (negative: behind). */
  Type.Object({ kind: Type.Literal('clock-skew'), ...at, ...sel, skewMs: Type.Integer() }, { additionalProperties: false }),
  /** The nodes' connections drop and come back `cycles` times, every periodMs. */
  Type.Object({ kind: Type.Literal('flap'), ...at, ...sel, periodMs: Type.Integer({ minimum: 10 }), cycles: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }),
  /** Bad traffic on the nodes' topics: garbage bytes, a re-sent message, an old one with a fresh id, another node's identity. */
  Type.Object(
    { kind: Type.Union([Type.Literal('malformed'), Type.Literal('duplicate'), Type.Literal('replay'), Type.Literal('spoof')]), ...at, ...sel, messages: Type.Optional(Type.Integer({ minimum: 1 })) },
    { additionalProperties: false },
  ),
]);

export type Fault = Static<typeof FaultSchema>;
export type FaultKind = Fault['kind'];
export type NodeSelect = Static<typeof SelectSchema>;

export const FAULT_KINDS: readonly FaultKind[] = [
  'crash', 'hang', 'partition', 'latency-spike', 'broker-restart', 'orchestrator-restart', 'clock-skew', 'flap', 'malformed', 'duplicate', 'replay', 'spoof',
];

export class FaultSpecError extends Error {}

export function validateFault(raw: unknown, where = 'fault'): Fault {
  const problems = [...Value.Errors(FaultSchema, raw)].map((e) => `${e.path || '(root)'}: ${e.message}`);
  if (problems.length) throw new FaultSpecError(`${where} is invalid (kinds: ${FAULT_KINDS.join(', ')}):\n  - ${problems.slice(0, 5).join('\n  - ')}`);
  const f = raw as Fault;
  if (f.kind === 'partition' && !f.district === !f.site) throw new FaultSpecError(`${where}: a partition names exactly one of district or site`);
  return f;
}

/**
 * Parses a live command, e.g. `partition district=mawei durationMs=5000` or `crash nodes=a,b`:
 * the fault kind, then key=value pairs (numbers as numbers, commas make node lists). atMs defaults to now.
 */
export function parseFaultCommand(line: string, nowMs: number): Fault {
  const [kind, ...pairs] = line.trim().split(/\s+/);
  const raw: Record<string, unknown> = { kind, atMs: nowMs };
  const select: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`"${p}" is not key=value; e.g. partition district=mawei durationMs=5000`);
    const key = p.slice(0, eq);
    const text = p.slice(eq + 1);
    const value: unknown = key === 'nodes' ? text.split(',') : /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    const selects = key === 'nodes' || key === 'count' || key === 'siteKind' || key === 'running' || ((key === 'district' || key === 'site') && kind !== 'partition' && kind !== 'latency-spike');
    (selects ? select : raw)[key] = value;
  }
  if (Object.keys(select).length) raw.select = select;
  return validateFault(raw, `command "${line.trim()}"`);
}
