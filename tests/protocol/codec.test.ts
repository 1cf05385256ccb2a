import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { decode, encode, MAX_PAYLOAD_BYTES } from '../../protocol/codec.ts';
import { BODIES, envelope } from '../helpers/envelopes.ts';

describe('codec', () => {
  it.each(BODIES.map((b) => [b.body + (b.body === 'cmd' ? `:${b.cmd.action}` : b.body === 'event' ? `:${b.event.kind}` : ''), b] as const))(
    'round-trips %s',
    (_name, body) => {
      const env = envelope(body);
      const d = decode(encode(env));
      expect(d).toEqual({ ok: true, envelope: env });
    },
  );

  it('keeps an unknown nominal figure unknown (no tflops) across the wire', () => {
    const b = BODIES[0]!;
    if (b.body !== 'birth') throw new Error('fixture order');
    const acc = { ...b.birth.accelerators[0]!, nominal: { basis: 'unknown' as const, source: 'catalog: UNVERIFIED', kind: 'nominal' as const, weak: false } };
    const d = decode(encode(envelope({ body: 'birth', birth: { ...b.birth, accelerators: [acc] } })));
    expect(d.ok).toBe(true);
    if (d.ok && d.envelope.body === 'birth') expect(d.envelope.birth.accelerators[0]!.nominal.tflops).toBeUndefined();
  });

  it('rejects an empty payload', () => {
    expect(decode(new Uint8Array())).toEqual({ ok: false, error: { reason: 'empty', detail: expect.any(String) } });
  });

  it('rejects a truncated payload with a reason', () => {
    const bytes = encode(envelope(BODIES[0]!));
    for (const cut of [1, 7, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const d = decode(bytes.subarray(0, cut));
      expect(d.ok, `cut at ${cut}`).toBe(false);
      if (!d.ok) expect(['malformed', 'missing_field', 'unsupported_schema_version', 'invalid_field']).toContain(d.error.reason);
    }
  });

  it('rejects random bytes without throwing', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
      const d = decode(bytes);
      expect(d.ok).toBe(false);
    }
  });

  it('rejects an oversized payload before parsing it', () => {
    const d = decode(new Uint8Array(MAX_PAYLOAD_BYTES + 1));
    expect(d).toEqual({ ok: false, error: { reason: 'oversized', detail: expect.stringContaining(String(MAX_PAYLOAD_BYTES)) } });
  });

  it('rejects another schema version, naming both', () => {
    const d = decode(encode(envelope(BODIES[1]!, { schemaVersion: 2 })));
    expect(d).toEqual({ ok: false, error: { reason: 'unsupported_schema_version', detail: 'schema_version 2; this build speaks 1' } });
  });

  it('rejects missing required fields, naming the field', () => {
    expect(decode(encode(envelope(BODIES[1]!, { msgId: '' })))).toMatchObject({ ok: false, error: { reason: 'missing_field', detail: 'msgId is required' } });
    expect(decode(encode(envelope(BODIES[1]!, { nodeId: '' })))).toMatchObject({ ok: false, error: { reason: 'missing_field', detail: 'nodeId is required' } });
    const noBody = { ...envelope(BODIES[1]!) } as Record<string, unknown>;
    delete noBody.state;
    delete noBody.body;
    const root = protobuf.parse(`syntax = "proto3"; message E { uint32 schema_version = 1; string msg_id = 2; string node_id = 3; string session_id = 4; uint64 seq = 5; uint64 sent_at_ms = 6; }`).root;
    const E = root.lookupType('E');
    const bytes = E.encode(E.fromObject(noBody)).finish();
    expect(decode(bytes)).toMatchObject({ ok: false, error: { reason: 'missing_field', detail: 'the envelope carries no body' } });
  });

  it('rejects a bench result without fp16 and an accelerator without nominal (sub-messages the types require)', () => {
    // Found by bench/fuzz.bench.ts: one flipped bit dropped the sub-message, and placement threw.
    const bench = BODIES.find((b) => b.body === 'bench')!;
    if (bench.body !== 'bench') throw new Error('fixture');
    const noFp16 = envelope({ body: 'bench', bench: { results: [{ ...bench.bench.results[0]!, fp16: undefined as never }] } });
    expect(decode(encode(noFp16))).toMatchObject({ ok: false, error: { reason: 'missing_field', detail: 'bench result for acc:0 needs fp16' } });
    const b = BODIES[0]!;
    if (b.body !== 'birth') throw new Error('fixture order');
    const noNominal = envelope({ body: 'birth', birth: { ...b.birth, accelerators: [{ ...b.birth.accelerators[0]!, nominal: undefined as never }] } });
    expect(decode(encode(noNominal))).toMatchObject({ ok: false, error: { reason: 'missing_field', detail: 'birth.accelerators[0].nominal is required' } });
  });

  it('rejects out-of-range values', () => {
    const b = BODIES[0]!;
    if (b.body !== 'birth') throw new Error('fixture order');
    const bad = envelope({ body: 'birth', birth: { ...b.birth, location: { ...b.birth.location, lat: 123 } } });
    expect(decode(encode(bad))).toMatchObject({ ok: false, error: { reason: 'invalid_field' } });
    const badId = envelope(BODIES[1]!, { nodeId: 'a/b' });
    expect(decode(encode(badId))).toMatchObject({ ok: false, error: { reason: 'invalid_field' } });
  });
});
