// Decoding is validation: every payload that crosses the wire comes out as a typed Envelope or
// a DecodeError with a reason. Nothing here throws past its caller.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { SCHEMA_VERSION, type Envelope, type Body, type Header } from './messages.ts';

export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Room in one MQTT packet besides the payload: fixed header, topic, packet id, MQTT 5 properties. */
export const PACKET_HEADROOM_BYTES = 1024;
/**
 * The broker's maximum packet size, derived from the payload limit (the embedded broker's, and
 * Mosquitto's `max_packet_size` that `banyan creds` writes): a bigger publish is refused before
 * it is buffered or forwarded.
 */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + PACKET_HEADROOM_BYTES;

export type DecodeReason =
  | 'empty'
  | 'oversized'
  | 'malformed'
  | 'unsupported_schema_version'
  | 'missing_field'
  | 'invalid_field';

export interface DecodeError {
  reason: DecodeReason;
  detail: string;
}

export type Decoded = { ok: true; envelope: Envelope } | { ok: false; error: DecodeError };

const root = protobuf.parse(readFileSync(new URL('./banyan.proto', import.meta.url), 'utf8')).root;
const EnvelopeType = root.lookupType('banyan.v1.Envelope');

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** Encodes a typed envelope; the types are the check (fromObject also takes enum names). */
export function encode(envelope: Envelope): Uint8Array {
  return EnvelopeType.encode(EnvelopeType.fromObject(envelope)).finish();
}

export function decode(payload: Uint8Array): Decoded {
  if (payload.length === 0) return fail('empty', 'payload has no bytes');
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return fail('oversized', `payload is ${payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = EnvelopeType.toObject(EnvelopeType.decode(payload), TO_OBJECT) as Record<string, unknown>;
  } catch (e) {
    return fail('malformed', `not a protobuf Envelope: ${(e as Error).message}`);
  }
  const problem = validate(raw);
  if (problem) return { ok: false, error: problem };
  dropUnfenced(raw);
  return { ok: true, envelope: raw as unknown as Envelope };
}

/** Epoch 0 is "no fencing" (protocol/fencing.ts): decoded as absent, as an old peer sends it. */
function dropUnfenced(raw: Record<string, unknown>): void {
  const cmd = raw.cmd as { leaderEpoch?: number } | undefined;
  if (cmd && !cmd.leaderEpoch) delete cmd.leaderEpoch;
  const ack = (raw.event as { ack?: { fencedEpoch?: number } } | undefined)?.ack;
  if (ack && !ack.fencedEpoch) delete ack.fencedEpoch;
}

function fail(reason: DecodeReason, detail: string): Decoded {
  return { ok: false, error: { reason, detail } };
}

function problemOf(reason: DecodeReason, detail: string): DecodeError {
  return { reason, detail };
}

// A leading underscore is reserved for the orchestrator (`_orchestrator-…`), never a node.
const ID = /^[A-Za-z0-9_][A-Za-z0-9._:-]{0,127}$/;

function validate(raw: Record<string, unknown>): DecodeError | null {
  const h = raw as unknown as Header & { body?: string };
  if (h.schemaVersion !== SCHEMA_VERSION) {
    return problemOf('unsupported_schema_version', `schema_version ${h.schemaVersion}; this build speaks ${SCHEMA_VERSION}`);
  }
  for (const f of ['msgId', 'nodeId', 'sessionId'] as const) {
    if (!h[f]) return problemOf('missing_field', `${f} is required`);
    if (!ID.test(h[f])) return problemOf('invalid_field', `${f} must be 1-128 of [A-Za-z0-9._:-], not starting with . : or -`);
  }
  if (!(h.sentAtMs > 0)) return problemOf('missing_field', 'sentAtMs is required');
  if (!h.body) return problemOf('missing_field', 'the envelope carries no body');
  return validateBody(raw as unknown as Body);
}

function finite(...values: number[]): boolean {
  return values.every((v) => Number.isFinite(v));
}

function validateBody(b: Body): DecodeError | null {
  switch (b.body) {
    case 'birth': {
      if (!b.birth.host?.hostname) return problemOf('missing_field', 'birth.host.hostname is required');
      if (!b.birth.location) return problemOf('missing_field', 'birth.location is required');
      // protobufjs hands an absent sub-message out as null; the type says absent.
      if (b.birth.host.inventory === null) delete b.birth.host.inventory;
      const { lat, lon } = b.birth.location;
      if (!finite(lat, lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
        return problemOf('invalid_field', 'birth.location lat/lon out of range');
      }
      for (const a of b.birth.accelerators) {
        if (!a.vendor) return problemOf('missing_field', `birth.accelerators[${a.index}].vendor is required`);
        // protobufjs hands an absent sub-message out as null; the type (and placement) needs it.
        if (!a.nominal) return problemOf('missing_field', `birth.accelerators[${a.index}].nominal is required`);
        const t = a.nominal.tflops;
        if (t !== undefined && (!Number.isFinite(t) || t < 0)) {
          return problemOf('invalid_field', `birth.accelerators[${a.index}].nominal.tflops must be a non-negative number`);
        }
      }
      return null;
    }
    case 'state':
      if (b.state.status !== 'ONLINE' && b.state.status !== 'OFFLINE') {
        return problemOf('invalid_field', `state.status ${String(b.state.status)} is not ONLINE or OFFLINE`);
      }
      return null;
    case 'telemetry': {
      const t = b.telemetry;
      if (!finite(t.cpuPct, t.memoryUsedPct, t.load1)) return problemOf('invalid_field', 'telemetry figures must be finite');
      return null;
    }
    case 'bench':
      for (const r of b.bench.results) {
        if (!r.target || !r.backend) return problemOf('missing_field', 'bench result needs target and backend');
        if (!r.fp16) return problemOf('missing_field', `bench result for ${r.target} needs fp16`);
        const t = r.fp16.tflops;
        if (t !== undefined && (!Number.isFinite(t) || t < 0)) return problemOf('invalid_field', 'bench fp16.tflops must be non-negative');
      }
      return null;
    case 'latency':
      for (const r of b.latency.targets) {
        if (!r.target) return problemOf('missing_field', 'latency target name is required');
        if (!finite(r.p50Ms, r.p90Ms, r.p99Ms, r.loss) || r.loss < 0 || r.loss > 1) {
          return problemOf('invalid_field', `latency figures for ${r.target} are out of range`);
        }
      }
      return null;
    case 'cmd':
      if (!b.cmd.correlationId) return problemOf('missing_field', 'cmd.correlationId is required');
      if (!(b.cmd as { action?: string }).action) return problemOf('missing_field', 'cmd carries no action');
      return null;
    case 'event':
      if (!(b.event as { kind?: string }).kind) return problemOf('missing_field', 'event carries no kind');
      return null;
  }
}
