// Sparkplug B on the wire: topics (spBv1.0/<group>/<type>/<edge node>[/<device>], and the primary
// host's spBv1.0/STATE/<host id>), payloads (protobuf, payload.proto) and metric values typed by
// their Sparkplug datatype. Decoding is validation, as in ../codec.ts: a typed payload or a reason.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

export const SPB_NAMESPACE = 'spBv1.0';

/** Sparkplug B datatype codes (Sparkplug 3.0, "Datatypes"); the ones Banyan's metrics use and their kin. */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
} as const;
export type DataTypeName = keyof typeof DataType;
export type DataTypeCode = (typeof DataType)[DataTypeName];

const NAME_OF = new Map<number, DataTypeName>(Object.entries(DataType).map(([k, v]) => [v, k as DataTypeName]));

export function dataTypeName(code: number): DataTypeName | undefined {
  return NAME_OF.get(code);
}

/** null is Sparkplug's is_null: the value is not known (a reading the tool does not give). */
export type MetricValue = number | boolean | string | null;

export interface SpbMetric {
  /** In births (and NDEATH's bdSeq); data messages carry the alias only. */
  name?: string;
  alias?: number;
  timestamp?: number;
  /** Required in births; data messages may leave it out (the birth said it). */
  datatype?: number;
  value: MetricValue;
}

export interface SpbPayload {
  timestamp: number;
  /** Every message of an edge node but NDEATH carries one (0-255). */
  seq?: number;
  metrics: SpbMetric[];
}

export type SpbDecoded = { ok: true; payload: SpbPayload } | { ok: false; detail: string };

// One schema file; Tahu's sparkplug_b.proto (same package and names) can replace it unchanged.
const root = protobuf.parse(readFileSync(new URL('./payload.proto', import.meta.url), 'utf8')).root;
const PayloadType = root.lookupType('org.eclipse.tahu.protobuf.Payload');

const INT32_KINDS = new Set<number>([DataType.Int8, DataType.Int16, DataType.Int32, DataType.UInt8, DataType.UInt16, DataType.UInt32]);
const INT64_KINDS = new Set<number>([DataType.Int64, DataType.UInt64, DataType.DateTime]);
const STRING_KINDS = new Set<number>([DataType.String, DataType.Text]);

interface RawMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isNull?: boolean;
  intValue?: number;
  longValue?: number;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
  value?: string;
}

/** Encodes a payload; each value goes in the field its datatype names (a data message's metric needs one). */
export function encodeSpb(p: SpbPayload, datatypeOf: (m: SpbMetric) => number | undefined = (m) => m.datatype): Uint8Array {
  const metrics = p.metrics.map((m) => {
    const raw: RawMetric = {};
    if (m.name !== undefined) raw.name = m.name;
    if (m.alias !== undefined) raw.alias = m.alias;
    if (m.timestamp !== undefined) raw.timestamp = m.timestamp;
    if (m.datatype !== undefined) raw.datatype = m.datatype;
    if (m.value === null) {
      raw.isNull = true;
      return raw;
    }
    const dt = datatypeOf(m);
    if (dt === undefined) throw new Error(`metric ${m.name ?? `alias ${m.alias}`} has no datatype to encode its value by`);
    setValue(raw, dt, m.value);
    return raw;
  });
  const msg: Record<string, unknown> = { timestamp: p.timestamp, metrics };
  if (p.seq !== undefined) msg.seq = p.seq;
  return PayloadType.encode(PayloadType.fromObject(msg)).finish();
}

function setValue(raw: RawMetric, dt: number, v: number | boolean | string): void {
  const want = (kind: string) => new Error(`a ${dataTypeName(dt) ?? dt} metric needs a ${kind}, not ${JSON.stringify(v)}`);
  if (INT32_KINDS.has(dt)) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw want('whole number');
    raw.intValue = v >>> 0; // signed kinds travel as their two's complement in uint32
  } else if (INT64_KINDS.has(dt)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw want('non-negative whole number');
    raw.longValue = v;
  } else if (dt === DataType.Float || dt === DataType.Double) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw want('finite number');
    if (dt === DataType.Float) raw.floatValue = v;
    else raw.doubleValue = v;
  } else if (dt === DataType.Boolean) {
    if (typeof v !== 'boolean') throw want('boolean');
    raw.booleanValue = v;
  } else if (STRING_KINDS.has(dt)) {
    if (typeof v !== 'string') throw want('string');
    raw.stringValue = v;
  } else {
    throw new Error(`datatype ${dt} is not one this codec writes`);
  }
}

/**
 * Decodes a payload. A metric's value is read by its datatype (from the metric, else from
 * `datatypeOf`, e.g. the birth's alias table); without one the value field present is taken as is.
 */
export function decodeSpb(bytes: Uint8Array, datatypeOf?: (m: SpbMetric) => number | undefined): SpbDecoded {
  let raw: { timestamp?: number; seq?: number; metrics?: RawMetric[] };
  try {
    raw = PayloadType.toObject(PayloadType.decode(bytes), { longs: Number, oneofs: true, arrays: true }) as typeof raw;
  } catch (e) {
    return { ok: false, detail: `not a Sparkplug B payload: ${(e as Error).message}` };
  }
  if (raw.seq !== undefined && !(raw.seq >= 0 && raw.seq <= 255)) return { ok: false, detail: `seq ${raw.seq} is outside 0-255` };
  const metrics: SpbMetric[] = [];
  for (const [i, r] of (raw.metrics ?? []).entries()) {
    if (r.name === undefined && r.alias === undefined) return { ok: false, detail: `metric ${i} has neither a name nor an alias` };
    const m: SpbMetric = { value: null };
    if (r.name !== undefined) m.name = r.name;
    if (r.alias !== undefined) m.alias = r.alias;
    if (r.timestamp !== undefined) m.timestamp = r.timestamp;
    if (r.datatype !== undefined) m.datatype = r.datatype;
    if (!r.isNull) {
      const dt = m.datatype ?? datatypeOf?.(m);
      m.value = valueOf(r, dt);
      if (m.value === null) return { ok: false, detail: `metric ${m.name ?? `alias ${m.alias}`} has no value and is not marked null` };
    }
    metrics.push(m);
  }
  const p: SpbPayload = { timestamp: raw.timestamp ?? 0, metrics };
  if (raw.seq !== undefined) p.seq = raw.seq;
  return { ok: true, payload: p };
}

function valueOf(r: RawMetric, dt: number | undefined): MetricValue {
  if (r.intValue !== undefined) {
    const signed = dt === DataType.Int8 || dt === DataType.Int16 || dt === DataType.Int32;
    return signed ? r.intValue | 0 : r.intValue;
  }
  return r.longValue ?? r.floatValue ?? r.doubleValue ?? r.booleanValue ?? r.stringValue ?? null;
}

export type SpbMessageType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDEATH' | 'NDATA' | 'DDATA' | 'NCMD' | 'DCMD';
const MESSAGE_TYPES = new Set<string>(['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD']);

export interface SpbTopic {
  group: string;
  type: SpbMessageType;
  edgeNode: string;
  device?: string;
}

/** Group, edge node and device ids are single topic levels: no '/', '+' or '#'. */
export function isSpbId(id: string): boolean {
  return id.length > 0 && !/[/+#]/.test(id);
}

export function spbTopic(group: string, type: SpbMessageType, edgeNode: string, device?: string): string {
  for (const [what, id] of [['group', group], ['edge node', edgeNode], ...(device === undefined ? [] : [['device', device]])] as const) {
    if (!isSpbId(id)) throw new Error(`Sparkplug ${what} id ${JSON.stringify(id)} must be non-empty without '/', '+' or '#'`);
  }
  return [SPB_NAMESPACE, group, type, edgeNode, ...(device === undefined ? [] : [device])].join('/');
}

export function parseSpbTopic(topic: string): SpbTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== SPB_NAMESPACE || parts.length < 4 || parts.length > 5) return null;
  const [, group, type, edgeNode, device] = parts as [string, string, string, string, string | undefined];
  if (!MESSAGE_TYPES.has(type) || !isSpbId(group) || !isSpbId(edgeNode)) return null;
  const isDevice = type.startsWith('D');
  if (isDevice !== (device !== undefined) || (device !== undefined && !isSpbId(device))) return null;
  return { group, type: type as SpbMessageType, edgeNode, ...(device === undefined ? {} : { device }) };
}

/** Where a primary host application says whether it is online (Sparkplug 3.0). */
export function hostStateTopic(hostId: string): string {
  if (!isSpbId(hostId)) throw new Error(`Sparkplug host id ${JSON.stringify(hostId)} must be non-empty without '/', '+' or '#'`);
  return `${SPB_NAMESPACE}/STATE/${hostId}`;
}

export interface HostState {
  online: boolean;
  /** The host's clock when it said so; a STATE older than the last one seen is stale. */
  timestamp: number;
}

/** Sparkplug 3.0 STATE: JSON {"online": bool, "timestamp": ms}; also the 2.x plain ONLINE / OFFLINE. */
export function parseHostState(payload: Uint8Array): HostState | null {
  const text = Buffer.from(payload).toString('utf8').trim();
  if (text === 'ONLINE' || text === 'OFFLINE') return { online: text === 'ONLINE', timestamp: 0 };
  try {
    const v = JSON.parse(text) as { online?: unknown; timestamp?: unknown };
    if (typeof v.online !== 'boolean') return null;
    return { online: v.online, timestamp: typeof v.timestamp === 'number' && Number.isFinite(v.timestamp) ? v.timestamp : 0 };
  } catch {
    return null;
  }
}

export function encodeHostState(s: HostState): Uint8Array {
  return Buffer.from(JSON.stringify({ online: s.online, timestamp: s.timestamp }));
}
