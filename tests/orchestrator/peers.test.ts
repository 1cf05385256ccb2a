import { describe, expect, it } from 'vitest';
import type { CommandAction } from '../../protocol/messages.ts';
import { PeerProbeScheduler } from '../../orchestrator/peers.ts';
import { Registry } from '../../orchestrator/registry.ts';
import { birth } from '../helpers/envelopes.ts';

/** n nodes; node i advertises 10.0.<i>.1:7947 unless listed in `silent` (no responder). */
function fleet(n: number, offline: string[] = [], silent: string[] = []) {
  const registry = new Registry();
  for (let i = 0; i < n; i++) {
    const node = registry.touch(`n${i}`, 's', 's');
    registry.setBirth(node, birth({ probeAddress: silent.includes(`n${i}`) ? '' : `10.0.${i}.1:7947` }));
    if (offline.includes(node.id)) registry.setStatus(node, 'offline', 'will');
  }
  const sent: { nodeId: string; action: CommandAction }[] = [];
  const orch = { registry, command: async (nodeId: string, action: CommandAction) => (sent.push({ nodeId, action }), 'c') };
  return { orch, sent };
}

function lcg() {
  let seed = 1;
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

describe('peer probe rounds', () => {
  it('asks a bounded number of online nodes to probe distinct online peers at their advertised address, never themselves', () => {
    const { orch, sent } = fleet(50, ['n3', 'n7']);
    const s = new PeerProbeScheduler(orch, { nodesPerRound: 10, peersPerNode: 3, random: lcg() });
    expect(s.round()).toBe(10);
    expect(new Set(sent.map((x) => x.nodeId)).size).toBe(10);
    for (const { nodeId, action } of sent) {
      expect(['n3', 'n7']).not.toContain(nodeId);
      if (action.action !== 'probe') throw new Error('expected a probe');
      expect(action.probe.targets).toEqual([]);
      const peers = action.probe.peers.map((p) => p.nodeId);
      expect(new Set(peers).size).toBe(3);
      expect(peers).not.toContain(nodeId);
      for (const p of peers) expect(['n3', 'n7']).not.toContain(p);
      for (const p of action.probe.peers) expect(p.address).toBe(`10.0.${p.nodeId.slice(1)}.1:7947`);
    }
  });

  it('never targets a node that advertises no probe address, and counts it', () => {
    const silent = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const { orch, sent } = fleet(12, [], silent);
    const s = new PeerProbeScheduler(orch, { nodesPerRound: 12, peersPerNode: 3, random: lcg() });
    expect(s.round()).toBeGreaterThan(0);
    expect(s.unaddressable).toBe(10);
    const targeted = sent.flatMap(({ action }) => (action.action === 'probe' ? action.probe.peers.map((p) => p.nodeId) : []));
    expect(new Set(targeted)).toEqual(new Set(['n10', 'n11']));
    // Silent nodes still probe others.
    expect(sent.some((x) => silent.includes(x.nodeId))).toBe(true);
  });

  it('does nothing with fewer than two online nodes, or when no node has a responder', () => {
    const one = fleet(1);
    expect(new PeerProbeScheduler(one.orch).round()).toBe(0);
    expect(one.sent).toHaveLength(0);
    const none = fleet(5, [], ['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(new PeerProbeScheduler(none.orch).round()).toBe(0);
    expect(none.sent).toHaveLength(0);
  });
});
