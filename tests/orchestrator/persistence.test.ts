// Known nodes and workloads survive an orchestrator restart: nodes show as "unknown" until they
// speak again, workloads keep their placement and reservation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { encode } from '../../protocol/codec.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { LowdbStore } from '../../orchestrator/store/lowdb-store.ts';
import { birth, envelope } from '../helpers/envelopes.ts';
import { quietLog } from '../helpers/quiet-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('restores nodes as not-yet-heard and workloads with their placement after a restart', async () => {
  const first = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: dir, log: quietLog });
  const topic = `${first.topicRoot}/site-a/node-a/birth`;
  first.ingest.handle(topic, encode(envelope({ body: 'birth', birth: birth({ location: { lat: 26, lon: 119.3, site: 'site-a', district: 'gulou', siteKind: 'factory' } }) }, { nodeId: 'node-a' })));
  const sub = first.workloads.submit({ name: 'train', tenant: 't', class: 'batch', run: { runner: 'simulated', durationMs: 1000 }, needs: { accelerators: 1 } });
  if (!sub.ok) throw new Error('spec');
  expect(sub.workload).toMatchObject({ state: 'placed', nodeId: 'node-a' });
  await first.stop();

  const second = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: dir, log: quietLog });
  try {
    const node = (await (await fetch(`${second.httpUrl}/v1/nodes/node-a`)).json()) as { status: string; statusReason: string; accelerators: unknown[] };
    expect(node).toMatchObject({ status: 'unknown', statusReason: 'restored' });
    expect(node.accelerators).toHaveLength(2);
    const w = (await (await fetch(`${second.httpUrl}/v1/workloads/${sub.workload.id}`)).json()) as { state: string; nodeId: string };
    expect(w).toMatchObject({ state: 'placed', nodeId: 'node-a' });
    // the reservation is back: the node view holds the allocation
    expect(second.fleet.get('node-a')!.accelerators.some((a) => a.allocatedTo?.workload === sub.workload.id)).toBe(true);
  } finally {
    await second.stop();
  }
});

it('refuses a state file that is not Banyan state, saying what to do', async () => {
  const bad = join(dir, 'bad');
  const store = new LowdbStore(join(bad, 'orchestrator.json'));
  writeFileSync(store.path, '{"hello":1}');
  await expect(Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: bad, log: quietLog })).rejects.toThrow(/move it aside/);
});
