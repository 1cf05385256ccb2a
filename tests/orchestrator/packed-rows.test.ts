import { expect, it } from 'vitest';
import { decode, encode } from '../../protocol/codec.ts';
import type { Telemetry } from '../../protocol/messages.ts';
import { packRows } from '../../orchestrator/packed-rows.ts';
import { StringPool } from '../../orchestrator/string-pool.ts';
import { envelope } from '../helpers/envelopes.ts';

const telemetry: Telemetry = {
  cpuPct: 12.5,
  memoryUsedPct: 40.25,
  load1: 0.75,
  runningWorkloads: 2,
  acceleratorErrors: ['npu-smi timed out after 2 s'],
  accelerators: [
    { index: 0, utilPct: 55.5, memoryUsedMib: 1024, temperatureC: 61.5, powerW: 250.25, memoryTotalMib: 81920, powerLimitW: 400, health: 'ok' },
    { index: 1, health: 'unknown' },
    { index: 2, utilPct: 0, health: 'warning', powerW: 0.5 },
  ],
  diskFreeMib: 5000.5,
};

it('reads back as what it packed: fields, key order, JSON, spreads and clones; other fields stay writable', () => {
  const d = decode(encode(envelope({ body: 'telemetry', telemetry })));
  if (!d.ok || d.envelope.body !== 'telemetry') throw new Error('decode');
  const kept = new StringPool().compact({ ...d.envelope.telemetry, atMs: 7 });
  const plain = JSON.parse(JSON.stringify(kept)) as typeof kept;
  const packed = packRows(kept, 'accelerators');
  expect(packed).toEqual(plain);
  expect(JSON.stringify(packed)).toBe(JSON.stringify(plain));
  expect(Object.keys(packed)).toEqual(Object.keys(plain));
  expect(packed.accelerators.map((a) => Object.keys(a))).toEqual(plain.accelerators.map((a) => Object.keys(a)));
  expect({ ...packed }).toEqual(plain);
  expect(structuredClone(packed)).toEqual(plain);
  expect(packed.accelerators).not.toBe(packed.accelerators);
  packed.cpuPct = 1;
  expect(packed.cpuPct).toBe(1);
});

it('leaves alone what is not an array of plain objects', () => {
  const a = { rows: [1, 2] };
  expect(packRows(a, 'rows')).toBe(a);
  const b = { rows: [{ x: 1 }, null] };
  expect(packRows(b, 'rows')).toBe(b);
  const c = JSON.parse('{"rows":[{"__proto__":{"x":1}}]}') as { rows: object[] };
  expect(packRows(c, 'rows')).toBe(c);
});

it('lays nested objects out too, and keeps the pool\'s shared ones shared', () => {
  const pool = new StringPool();
  const result = (tflops: number | undefined, shape: string) => ({
    target: 'acc:0',
    backend: 'sim',
    fp16: { ...(tflops === undefined ? {} : { tflops }), basis: 'fp16', source: 'bench', kind: 'measured', weak: false },
    rawTflops: 101.5,
    shape,
    versions: { driver: '550.54', cuda: '12.4' },
    atMs: 1_790_000_000_000,
  });
  const bench = pool.compact({ results: [result(98.25, 'm4096'), result(undefined, 'm1024'), { target: 'cpu', backend: 'gemm', weird: [1, 2], n: null }], atMs: 3 });
  const plain = JSON.parse(JSON.stringify(bench)) as typeof bench;
  const packed = packRows(bench, 'results');
  expect(packed).toEqual(plain);
  expect(JSON.stringify(packed)).toBe(JSON.stringify(plain));
  const [a, b] = packed.results as ReturnType<typeof result>[];
  expect(a!.versions).toBe(b!.versions);
  expect(Object.isFrozen(a!.versions)).toBe(true);
  expect(Object.keys(a!.fp16)).toEqual(['tflops', 'basis', 'source', 'kind', 'weak']);
  expect(Object.keys(b!.fp16)).toEqual(['basis', 'source', 'kind', 'weak']);
});
