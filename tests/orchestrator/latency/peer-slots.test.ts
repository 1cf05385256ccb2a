import { expect, it } from 'vitest';
import { entries, slotOf, withPeer, withoutPeer, type PeerSlots } from '../../../orchestrator/latency/peer-slots.ts';

it('finds, adds and removes peers in insertion order, as an array while few and a Map past that', () => {
  let peers: PeerSlots | undefined;
  const ref = new Map<string, number>();
  for (let i = 0; i < 40; i++) {
    peers = withPeer(peers, `node-${i}`, i * 3);
    ref.set(`node-${i}`, i * 3);
    if (i === 5) {
      expect(Array.isArray(peers)).toBe(true);
      peers = withoutPeer(peers, 'node-2');
      ref.delete('node-2');
      expect(withoutPeer(peers, 'node-2')).toEqual(peers);
    }
    if (i === 30) {
      expect(peers).toBeInstanceOf(Map);
      peers = withoutPeer(peers, 'node-7');
      ref.delete('node-7');
    }
    expect([...entries(peers)]).toEqual([...ref]);
  }
  for (const [id, slot] of ref) expect(slotOf(peers, id)).toBe(slot);
  expect(slotOf(peers, 'node-2')).toBeUndefined();
  expect(slotOf(undefined, 'node-1')).toBeUndefined();
  expect(slotOf(['a', 0], '0')).toBeUndefined();
});
