// The Sparkplug B codec: payloads round-trip by datatype, bad bytes come out as a reason, and the
// topic and STATE forms are the specification's.
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import {
  DataType,
  decodeSpb,
  encodeHostState,
  encodeSpb,
  hostStateTopic,
  parseHostState,
  parseSpbTopic,
  spbTopic,
} from '../../protocol/sparkplug/codec.ts';

describe('Sparkplug B payloads', () => {
  it('round-trips every datatype the bridge writes, nulls included', () => {
    const metrics = [
      { name: 'bdSeq', datatype: DataType.Int64, value: 7 },
      { name: 'neg', datatype: DataType.Int32, value: -5 },
      { name: 'u32', datatype: DataType.UInt32, value: 4_000_000_000 },
      { name: 'f', datatype: DataType.Float, value: 1.5 },
      { name: 'd', datatype: DataType.Double, value: 989.5 },
      { name: 'b', datatype: DataType.Boolean, value: false },
      { name: 's', datatype: DataType.String, value: 'online' },
      { name: 'n', datatype: DataType.Float, value: null },
    ];
    const bytes = encodeSpb({ timestamp: 1_700_000_000_000, seq: 255, metrics });
    const d = decodeSpb(bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.payload.seq).toBe(255);
    expect(d.payload.timestamp).toBe(1_700_000_000_000);
    expect(d.payload.metrics).toEqual(metrics);
  });

  it('writes each value into the field its datatype names (the specification layout)', () => {
    // Read back with a bare schema of field numbers only: the wire is what is checked, not our names.
    const bare = protobuf.parse(`syntax = "proto2"; message P { repeated M metrics = 2; optional uint64 seq = 3; }
      message M { optional string name = 1; optional uint64 alias = 2; optional uint32 datatype = 4; optional bool null7 = 7;
      optional uint32 f10 = 10; optional uint64 f11 = 11; optional float f12 = 12; optional double f13 = 13; optional bool f14 = 14; optional string f15 = 15; }`).root.lookupType('P');
    const bytes = encodeSpb({
      timestamp: 1,
      seq: 3,
      metrics: [
        { name: 'a', alias: 9, datatype: DataType.Int32, value: -1 },
        { name: 'b', datatype: DataType.UInt64, value: 12 },
        { name: 'c', datatype: DataType.Float, value: 2.5 },
        { name: 'd', datatype: DataType.Double, value: 3.25 },
        { name: 'e', datatype: DataType.Boolean, value: true },
        { name: 'f', datatype: DataType.String, value: 'x' },
        { name: 'g', datatype: DataType.Double, value: null },
      ],
    });
    const o = bare.toObject(bare.decode(bytes), { longs: Number }) as { seq: number; metrics: Record<string, unknown>[] };
    expect(o.seq).toBe(3);
    expect(o.metrics[0]).toEqual({ name: 'a', alias: 9, datatype: 3, f10: 0xffffffff });
    expect(o.metrics[1]).toEqual({ name: 'b', datatype: 8, f11: 12 });
    expect(o.metrics[2]).toEqual({ name: 'c', datatype: 9, f12: 2.5 });
    expect(o.metrics[3]).toEqual({ name: 'd', datatype: 10, f13: 3.25 });
    expect(o.metrics[4]).toEqual({ name: 'e', datatype: 11, f14: true });
    expect(o.metrics[5]).toEqual({ name: 'f', datatype: 12, f15: 'x' });
    expect(o.metrics[6]).toEqual({ name: 'g', datatype: 10, null7: true });
  });

  it('reads an alias-only data metric by the datatype its birth gave', () => {
    const datatypes = new Map([[4, DataType.Int16]]);
    const bytes = encodeSpb({ timestamp: 1, seq: 1, metrics: [{ alias: 4, value: -300 }] }, (m) => datatypes.get(m.alias!));
    const d = decodeSpb(bytes, (m) => datatypes.get(m.alias!));
    expect(d.ok && d.payload.metrics).toEqual([{ alias: 4, value: -300 }]);
  });

  it('refuses a value of the wrong kind for its datatype, saying which', () => {
    expect(() => encodeSpb({ timestamp: 1, metrics: [{ name: 'x', datatype: DataType.UInt32, value: 1.5 }] })).toThrow(/UInt32 metric needs a whole number/);
    expect(() => encodeSpb({ timestamp: 1, metrics: [{ alias: 3, value: 1 }] })).toThrow(/no datatype/);
  });

  it('gives a reason for bytes that are not a payload', () => {
    const d = decodeSpb(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.detail).toMatch(/not a Sparkplug B payload/);
    const noName = protobuf.parse('syntax = "proto2"; message P { repeated M metrics = 2; } message M { optional uint64 timestamp = 3; }').root.lookupType('P');
    const d2 = decodeSpb(noName.encode({ metrics: [{ timestamp: 5 }] }).finish());
    expect(d2.ok === false && d2.detail).toMatch(/neither a name nor an alias/);
  });

  it('the schema is proto2 in Tahu\'s package, so Tahu\'s own file is a drop-in', () => {
    const text = readFileSync(new URL('../../protocol/sparkplug/payload.proto', import.meta.url), 'utf8');
    expect(text).toMatch(/syntax = "proto2";/);
    expect(text).toMatch(/package org\.eclipse\.tahu\.protobuf;/);
  });
});

describe('Sparkplug B topics and STATE', () => {
  it('builds and parses edge node and device topics', () => {
    expect(spbTopic('city', 'NBIRTH', 'n-1')).toBe('spBv1.0/city/NBIRTH/n-1');
    expect(spbTopic('city', 'DDATA', 'n-1', 'acc0')).toBe('spBv1.0/city/DDATA/n-1/acc0');
    expect(parseSpbTopic('spBv1.0/city/DBIRTH/n-1/acc3')).toEqual({ group: 'city', type: 'DBIRTH', edgeNode: 'n-1', device: 'acc3' });
    expect(parseSpbTopic('spBv1.0/city/NCMD/n-1')).toEqual({ group: 'city', type: 'NCMD', edgeNode: 'n-1' });
    expect(parseSpbTopic('spBv1.0/city/NCMD/n-1/acc0')).toBeNull();
    expect(parseSpbTopic('spBv1.0/city/DDATA/n-1')).toBeNull();
    expect(parseSpbTopic('spBv1.0/city/BOGUS/n-1')).toBeNull();
    expect(parseSpbTopic('spAv1.0/city/NBIRTH/n-1')).toBeNull();
    expect(() => spbTopic('a/b', 'NBIRTH', 'n')).toThrow(/group id/);
    expect(() => spbTopic('g', 'NBIRTH', 'n+')).toThrow(/edge node id/);
  });

  it('reads Sparkplug 3.0 STATE JSON and the older plain form; garbage is null', () => {
    expect(hostStateTopic('scada-1')).toBe('spBv1.0/STATE/scada-1');
    expect(parseHostState(encodeHostState({ online: true, timestamp: 42 }))).toEqual({ online: true, timestamp: 42 });
    expect(parseHostState(Buffer.from('OFFLINE'))).toEqual({ online: false, timestamp: 0 });
    expect(parseHostState(Buffer.from('{"online":"yes"}'))).toBeNull();
    expect(parseHostState(Buffer.from('{nope'))).toBeNull();
  });
});
