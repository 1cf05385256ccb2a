// Each point's probed peers, with the slot of the pair's samples (windows.ts). Most points are
// nodes with a handful of peers, for which a Map costs ~40 bytes an entry and reserves room for as
// many again: those keep [id, slot, id, slot, …] in an array of just that length. A point many
// probe (a landmark, the orchestrator) has thousands, and a Map past SMALL_PEERS.

export type PeerSlots = (string | number)[] | Map<string, number>;

/** Peers kept in an array, searched in turn; past this a Map. */
const SMALL_PEERS = 16;

export function slotOf(peers: PeerSlots | undefined, id: string): number | undefined {
  if (peers === undefined) return undefined;
  if (peers instanceof Map) return peers.get(id);
  for (let i = 0; i < peers.length; i += 2) if (peers[i] === id) return peers[i + 1] as number;
  return undefined;
}

/** `peers` with `id` at `slot` (id not in it yet): the same Map, or a new array. */
export function withPeer(peers: PeerSlots | undefined, id: string, slot: number): PeerSlots {
  if (peers instanceof Map) return peers.set(id, slot);
  const old = peers ?? [];
  if (old.length / 2 >= SMALL_PEERS) {
    const m = new Map<string, number>();
    for (const [o, s] of entries(old)) m.set(o, s);
    return m.set(id, slot);
  }
  // Made at its final length: one grown by push reserves spare slots.
  const next = new Array<string | number>(old.length + 2);
  for (let i = 0; i < old.length; i++) next[i] = old[i]!;
  next[old.length] = id;
  next[old.length + 1] = slot;
  return next;
}

/** `peers` without `id`: the same Map, or a new array. */
export function withoutPeer(peers: PeerSlots, id: string): PeerSlots {
  if (peers instanceof Map) {
    peers.delete(id);
    return peers;
  }
  const at = peers.indexOf(id);
  if (at < 0 || at % 2 !== 0) return peers;
  const next = new Array<string | number>(peers.length - 2);
  for (let i = 0, j = 0; i < peers.length; i++) if (i !== at && i !== at + 1) next[j++] = peers[i]!;
  return next;
}

export function* entries(peers: PeerSlots): Generator<[string, number]> {
  if (peers instanceof Map) {
    yield* peers;
    return;
  }
  for (let i = 0; i < peers.length; i += 2) yield [peers[i] as string, peers[i + 1] as number];
}
