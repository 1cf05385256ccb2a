import { describe, expect, it } from 'vitest';
import type { CommandAction } from '../../protocol/messages.ts';
import { PeerProbeScheduler, peerOf, peerTarget } from '../../orchestrator/peers.ts';
import { Registry } from '../../orchestrator/registry.ts';
import { birth } from '../helpers/envelopes.ts';

function fleet(n: number, offline: string[] = []) {
  const registry = new Registry();
  for (let i = 0; i < n; i++) {
    const node = registry.touch(`n${i}`, 's', 's');
    registry.setBirth(node, birth());
    if (offline.includes(node.id)) registry.setStatus(node, 'offline', 'will');
  }
  const sent: { nodeId: string; action: CommandAction }[] = [];
  const orch = { registry, command: async (nodeId: string, action: CommandAction) => (sent.push({ nodeId, action }), 'c') };
  return { orch, sent };
}

describe('peer probe rounds', () => {
  it('names peers host:port and reads them back', () => {
    expect(peerTarget('fz-n1')).toBe('fz-n1:22');
    expect(peerOf('fz-n1:22')).toBe('fz-n1');
    expect(peerOf('nonsense')).toBeNull();
  });

  it('asks a bounded number of online nodes to probe distinct online peers, never themselves', () => {
    const { orch, sent } = fleet(50, ['n3', 'n7']);
    let seed = 1;
    const s = new PeerProbeScheduler(orch, { nodesPerRound: 10, peersPerNode: 3, random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647) });
    expect(s.round()).toBe(10);
    expect(new Set(sent.map((x) => x.nodeId)).size).toBe(10);
    for (const { nodeId, action } of sent) {
      expect(['n3', 'n7']).not.toContain(nodeId);
      if (action.action !== 'probe') throw new Error('expected a probe');
      const peers = action.probe.targets.map((t) => peerOf(t)!);
      expect(new Set(peers).size).toBe(3);
      expect(peers).not.toContain(nodeId);
      for (const p of peers) expect(['n3', 'n7']).not.toContain(p);
    }
  });

  it('does nothing with fewer than two online nodes', () => {
    const { orch, sent } = fleet(1);
    expect(new PeerProbeScheduler(orch).round()).toBe(0);
    expect(sent).toHaveLength(0);
  });
});
