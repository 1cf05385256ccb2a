// The ledger's tamper evidence: every entry carries the hash of the one before it, so changing,
// removing or reordering any entry breaks every hash after it. Hashes are SHA-256 over a canonical
// JSON form (keys sorted), so the same entry hashes the same on any machine and in any store.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** What an entry says, before the chain fields are added. */
export type EntryBody = { kind: string } & Record<string, unknown>;

export interface ChainFields {
  /** 1, 2, 3, … with no gaps. */
  seq: number;
  /** When it was written (orchestrator clock, ms). */
  atMs: number;
  prevHash: string;
  hash: string;
}

export type Chained<B extends EntryBody = EntryBody> = B & ChainFields;

/** JSON with object keys sorted at every level: one byte string per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`ledger values must be finite numbers, not ${v}`);
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as Record<string, unknown>)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function entryHash(entry: Omit<Chained, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

export function chain<B extends EntryBody>(body: B, prev: { seq: number; hash: string }, atMs: number): Chained<B> {
  const unhashed = { ...body, seq: prev.seq + 1, atMs, prevHash: prev.hash };
  return { ...unhashed, hash: entryHash(unhashed) } as Chained<B>;
}

export type VerifyResult =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; brokenSeq: number; index: number; reason: string };

/**
 * Recomputes the chain from the start; names the first entry that does not hold. With
 * `rehash: false` only the links (seq, prevHash) are checked: no SHA-256 per entry, for start-up.
 */
export function verifyChain(entries: Iterable<Chained>, opts: { rehash?: boolean } = {}): VerifyResult {
  let prev = { seq: 0, hash: GENESIS_HASH };
  let index = 0;
  for (const e of entries) {
    const broken = (reason: string): VerifyResult => ({ ok: false, entries: index, brokenSeq: typeof e.seq === 'number' ? e.seq : prev.seq + 1, index, reason });
    if (e.seq !== prev.seq + 1) return broken(`entry ${index + 1} has seq ${String(e.seq)}; expected ${prev.seq + 1} (an entry was removed, added or reordered)`);
    if (e.prevHash !== prev.hash) return broken(`seq ${e.seq}: prevHash does not match the hash of seq ${prev.seq} (an earlier entry was changed or removed)`);
    const { hash, ...rest } = e;
    if (opts.rehash !== false && entryHash(rest) !== hash) return broken(`seq ${e.seq}: its content does not match its hash (the entry was changed)`);
    prev = { seq: e.seq, hash };
    index++;
  }
  return { ok: true, entries: index, lastHash: prev.hash };
}
