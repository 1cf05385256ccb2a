// The loss classifier asks peers to probe a lost node at the address its birth advertised, and
// never guesses one: a node without a probe address is not probed (its verdict says why).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LossClassifier } from '../../orchestrator/loss-cause.ts';
import type { OrchestratorEvents } from '../../orchestrator/orchestrator.ts';
import { Registry } from '../../orchestrator/registry.ts';
import type { CommandAction } from '../../protocol/messages.ts';
import { birth, envelope } from '../helpers/envelopes.ts';

function setup(addresses: Record<string, string>) {
  const events = new EventEmitter<OrchestratorEvents>();
  const registry = new Registry({ onChange: (c) => events.emit('status', c) });
  Object.entries(addresses).forEach(([id, probeAddress], i) => {
    registry.setBirth(registry.touch(id, 's', 's'), birth({ probeAddress, location: { lat: 26 + i / 100, lon: 119.3, site: 's', district: '', siteKind: 'factory' } }));
  });
  const sent: { nodeId: string; action: CommandAction }[] = [];
  const losses = new LossClassifier({ events, registry, command: async (nodeId, action) => (sent.push({ nodeId, action }), 'c') }, { peers: 2 });
  const lose = async (id: string) => {
    registry.setStatus(registry.get(id)!, 'offline', 'will');
    await new Promise((r) => setImmediate(r));
  };
  return { events, registry, sent, losses, lose };
}

describe('LossClassifier', () => {
  it('asks the nearest peers to probe the lost node at its advertised address, and decides on their answers', async () => {
    const { events, sent, losses, lose } = setup({ a: '10.0.0.1:7947', b: '10.0.0.2:7947', c: '', d: '10.0.0.4:7947' });
    await lose('a');
    expect(sent.map((s) => s.nodeId).sort()).toEqual(['b', 'c']);
    for (const s of sent) expect(s.action).toMatchObject({ action: 'probe', probe: { targets: [], peers: [{ nodeId: 'a', address: '10.0.0.1:7947' }] } });
    const report = (from: string, received: number) =>
      events.emit('accepted', envelope({ body: 'latency', latency: { windowMs: 1, targets: [{ target: 'a', targetKind: 'peer', p50Ms: 1, p90Ms: 1, p99Ms: 1, jitterMs: 0, loss: received ? 0 : 1, sent: 3, received, minMs: 1 }] } }, { nodeId: from }));
    report('b', 3);
    expect(losses.get('a')).toMatchObject({ cause: 'partitioned', evidence: expect.stringContaining('peer b reached it') });
  });

  it('does not probe a lost node that advertised no probe address, and says why', async () => {
    const { sent, losses, lose } = setup({ a: '', b: '10.0.0.2:7947', c: '10.0.0.3:7947' });
    await lose('a');
    expect(sent).toEqual([]);
    expect(losses.unprobeable).toBe(1);
    expect(losses.get('a')).toMatchObject({ cause: 'unknown', decidedAtMs: null, evidence: expect.stringContaining('no probe address') });
  });
});
