// An edge node's message rules without a broker: seq from 0 on NBIRTH through 255 and back to 0,
// bdSeq shared by an NBIRTH and the NDEATH that ends it, aliases in data, rebirth on a new metric.
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../protocol/sparkplug/codec.ts';
import { EdgeNode } from '../../../orchestrator/sparkplug/edge-node.ts';
import type { DeviceSpec, MetricSpec } from '../../../orchestrator/sparkplug/metrics.ts';

const node = (cpu: number | null): MetricSpec[] => [
  { name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: false },
  { name: 'CPU/Utilisation %', datatype: DataType.Float, value: cpu },
];
const devices = (util: number): DeviceSpec[] => [
  { id: 'acc0', metrics: [{ name: 'Utilisation %', datatype: DataType.Float, value: util }] },
  { id: 'acc1', metrics: [{ name: 'Utilisation %', datatype: DataType.Float, value: 0 }] },
];
const bdSeqOf = (m: { payload: { metrics: { name?: string; value: unknown }[] } }) => m.payload.metrics.find((x) => x.name === 'bdSeq')!.value;

describe('EdgeNode', () => {
  it('births with NBIRTH seq 0 then DBIRTHs; data carries changed values by alias only', () => {
    const e = new EdgeNode('g', 'n1');
    const birth = e.birth(node(10), devices(5), 1);
    expect(birth.map((m) => [m.type, m.topic, m.payload.seq])).toEqual([
      ['NBIRTH', 'spBv1.0/g/NBIRTH/n1', 0],
      ['DBIRTH', 'spBv1.0/g/DBIRTH/n1/acc0', 1],
      ['DBIRTH', 'spBv1.0/g/DBIRTH/n1/acc1', 2],
    ]);
    const aliases = birth.flatMap((m) => m.payload.metrics.filter((x) => x.alias !== undefined).map((x) => x.alias));
    expect(new Set(aliases).size).toBe(aliases.length);
    expect(bdSeqOf(birth[0]!)).toBe(0);
    const cpuAlias = birth[0]!.payload.metrics.find((x) => x.name === 'CPU/Utilisation %')!.alias!;
    const data = e.update(node(20), devices(5), 2);
    expect(data).toHaveLength(1);
    expect(data[0]!.type).toBe('NDATA');
    expect(data[0]!.payload).toEqual({ timestamp: 2, seq: 3, metrics: [{ alias: cpuAlias, timestamp: 2, value: 20 }] });
    expect(e.update(node(20), devices(5), 3)).toEqual([]);
    const dd = e.update(node(20), devices(6), 4);
    expect(dd.map((m) => [m.type, m.topic, m.payload.seq])).toEqual([['DDATA', 'spBv1.0/g/DDATA/n1/acc0', 4]]);
    expect(dd[0]!.payload.metrics[0]!.name).toBeUndefined();
  });

  it('wraps seq from 255 to 0 and never restarts it outside NBIRTH', () => {
    const e = new EdgeNode('g', 'n1');
    const seqs = [...e.birth(node(0), [], 0)].map((m) => m.payload.seq);
    for (let i = 1; i <= 600; i++) seqs.push(...e.update(node(i), [], i).map((m) => m.payload.seq));
    expect(seqs).toHaveLength(601);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) % 256);
    expect(seqs[256]).toBe(0);
  });

  it('NDEATH carries the bdSeq of the NBIRTH it ends; the next life takes the next one; a rebirth keeps it', () => {
    const e = new EdgeNode('g', 'n1');
    const b0 = e.birth(node(1), [], 0)[0]!;
    const re = e.birth(node(1), [], 1)[0]!;
    expect(bdSeqOf(re)).toBe(bdSeqOf(b0));
    const d0 = e.death(2)!;
    expect(d0.type).toBe('NDEATH');
    expect(d0.payload.seq).toBeUndefined();
    expect(bdSeqOf(d0)).toBe(0);
    expect(e.death(3)).toBeNull();
    const b1 = e.birth(node(1), [], 4)[0]!;
    expect(bdSeqOf(b1)).toBe(1);
    expect(bdSeqOf(e.death(5)!)).toBe(1);
    // 0-255, wrapping
    for (let i = 0; i < 254; i++) {
      e.birth(node(1), [], 6);
      e.death(6);
    }
    expect(bdSeqOf(e.birth(node(1), [], 7)[0]!)).toBe(0);
  });

  it('announces the bdSeq of its next birth in the Will, and a lost session moves it on', () => {
    const e = new EdgeNode('g', 'bridge');
    expect(bdSeqOf(e.will(0))).toBe(0);
    expect(bdSeqOf(e.birth(node(1), [], 0)[0]!)).toBe(0);
    expect(bdSeqOf(e.will(0))).toBe(0);
    e.unborn(true);
    expect(bdSeqOf(e.will(1))).toBe(1);
    expect(bdSeqOf(e.birth(node(1), [], 1)[0]!)).toBe(1);
    e.unborn(false);
    expect(bdSeqOf(e.birth(node(1), [], 2)[0]!)).toBe(1);
  });

  it('answers a new metric (a card added) with a rebirth, not data it never announced', () => {
    const e = new EdgeNode('g', 'n1');
    e.birth(node(1), devices(1).slice(0, 1), 0);
    const out = e.update(node(1), devices(1), 1);
    expect(out.map((m) => [m.type, m.payload.seq])).toEqual([
      ['NBIRTH', 0],
      ['DBIRTH', 1],
      ['DBIRTH', 2],
    ]);
  });
});
