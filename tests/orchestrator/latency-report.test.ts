import { expect, it } from 'vitest';
import { decode, encode } from '../../protocol/codec.ts';
import type { LatencyReport } from '../../protocol/messages.ts';
import { PackedLatencyReport } from '../../orchestrator/latency-report.ts';
import { StringPool } from '../../orchestrator/string-pool.ts';
import { envelope } from '../helpers/envelopes.ts';

const report: LatencyReport = {
  targets: [
    { target: '_orchestrator', targetKind: 'orchestrator', p50Ms: 1.25, p90Ms: 2.5, p99Ms: 3.75, jitterMs: 0.125, loss: 0, sent: 10, received: 10, minMs: 1.0625 },
    { target: 'node-b', targetKind: 'peer', p50Ms: 0, p90Ms: 0, p99Ms: 0, jitterMs: 0, loss: 1, sent: 4, received: 0, minMs: 0 },
  ],
  windowMs: 5000,
};

it('reads back as the decoded report it was made from: fields, key order, JSON, spreads and clones', () => {
  const d = decode(encode(envelope({ body: 'latency', latency: report })));
  if (!d.ok || d.envelope.body !== 'latency') throw new Error('decode');
  const decoded = { ...d.envelope.latency, atMs: 42 };
  const kept = new PackedLatencyReport(d.envelope.latency, 42, new StringPool());
  expect(kept).toEqual(decoded);
  expect(JSON.stringify(kept)).toBe(JSON.stringify(decoded));
  expect(Object.keys(kept)).toEqual(['targets', 'windowMs', 'atMs']);
  expect({ ...kept }).toEqual(decoded);
  expect(structuredClone(kept)).toEqual(decoded);
  expect(kept.targets.find((t) => t.targetKind === 'peer')).toEqual(report.targets[1]);
});

it('keeps one copy of the target names the fleet repeats', () => {
  const pool = new StringPool();
  const a = new PackedLatencyReport(JSON.parse(JSON.stringify(report)) as LatencyReport, 1, pool);
  const b = new PackedLatencyReport(JSON.parse(JSON.stringify(report)) as LatencyReport, 2, pool);
  expect(a.targets[1]!.target).toBe(b.targets[1]!.target);
  expect(pool.size).toBe(4);
});
