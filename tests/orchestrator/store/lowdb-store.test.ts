// The state file is written a node at a time; what lands on disk is what lowdb wrote before.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LowdbStore } from '../../../orchestrator/store/lowdb-store.ts';
import type { PersistedState } from '../../../orchestrator/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-lowdb-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes the bytes of JSON.stringify(state, null, 2), and reads them back', async () => {
  const store = new LowdbStore(join(dir, 'a', 'orchestrator.json'));
  expect(await store.load()).toEqual({ version: 1, nodes: [], workloads: [] });
  const states = [
    { version: 1, nodes: [], workloads: [] },
    {
      version: 1,
      nodes: [
        { id: 'n1', site: 's', birth: { accelerators: [{ model: 'a\nb', tflops: 1.5 }, {}], labels: {}, list: [] }, lastSeenMs: 5, bench: null },
        { id: 'n2', site: 's', birth: null, lastSeenMs: 6, bench: { results: [[1, 2], []] }, gone: undefined },
      ],
      workloads: [{ id: 'w1', history: [{ state: 'placed' }] }],
    },
  ];
  for (const s of states) {
    await store.save(s as unknown as PersistedState);
    expect(readFileSync(store.path, 'utf8')).toBe(JSON.stringify(s, null, 2));
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(s)));
  }
});

it('writes only the newest of saves made while a write is in flight, and resolves every one of them', async () => {
  const store = new LowdbStore(join(dir, 'b', 'orchestrator.json'));
  const nodes = Array.from({ length: 3000 }, (_, i) => ({ id: `node-${i}`, site: 's', birth: null, lastSeenMs: i, bench: null }));
  const saves = Array.from({ length: 20 }, (_, i) => store.save({ version: 1, nodes, workloads: [i] }));
  await Promise.all(saves);
  const back = await store.load();
  expect(back.workloads).toEqual([19]);
  expect(back.nodes).toHaveLength(3000);
  await store.close();
});

it('fails a save whose file cannot be written, and saves again afterwards', async () => {
  const store = new LowdbStore(join(dir, 'c', 'orchestrator.json'));
  rmSync(join(dir, 'c'), { recursive: true });
  await expect(store.save({ version: 1, nodes: [], workloads: [] })).rejects.toThrow(/ENOENT/);
  // A store made for the same path makes its directory again.
  const again = new LowdbStore(store.path);
  await again.save({ version: 1, nodes: [], workloads: [1] });
  await store.save({ version: 1, nodes: [], workloads: [2] });
  expect((await store.load()).workloads).toEqual([2]);
});
