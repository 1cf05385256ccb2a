// The compute ledger: append-only, hash-chained, durable before it answers. Entries are kept in
// memory for the reports (a year of a 10k-node city is a few hundred thousand entries).
import { chain, GENESIS_HASH, verifyChain, type VerifyResult } from './chain.ts';
import type { LedgerBody, LedgerEntry, PricePlan, TenantEntry } from './entries.ts';
import type { LedgerStore } from './store.ts';

export class Ledger {
  private readonly list: LedgerEntry[];
  private tail: { seq: number; hash: string };
  private readonly tenants = new Map<string, TenantEntry>();
  /** Resolves when every append so far has been written (or has failed). */
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: LedgerStore,
    entries: LedgerEntry[],
    readonly loadCheck: VerifyResult,
    private readonly clock: () => number,
  ) {
    this.list = entries;
    const last = entries.at(-1);
    this.tail = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
    for (const e of entries) if (e.kind === 'tenant') this.tenants.set(e.tenant, e);
  }

  /**
   * Reads the ledger and checks its links (an entry removed, added or reordered); rehashing every
   * entry is `verify()`'s job (`banyan ledger verify`), not start-up's: a year of a city is seconds
   * of SHA-256. A broken chain still opens (appends continue from its tail) and says so in loadCheck.
   */
  static async open(store: LedgerStore, clock: () => number = Date.now): Promise<Ledger> {
    const entries = (await store.readAll()) as LedgerEntry[];
    return new Ledger(store, entries, verifyChain(entries, { rehash: false }), clock);
  }

  get size(): number {
    return this.list.length;
  }

  entries(): readonly LedgerEntry[] {
    return this.list;
  }

  verify(): VerifyResult {
    return verifyChain(this.list);
  }

  /** Chains the bodies now (in call order) and resolves once they are durable. */
  append(...bodies: LedgerBody[]): Promise<LedgerEntry[]> {
    const at = this.clock();
    const chained = bodies.map((b) => {
      const e = chain(b as LedgerBody & Record<string, unknown>, this.tail, at) as LedgerEntry;
      this.tail = { seq: e.seq, hash: e.hash };
      return e;
    });
    for (const e of chained) {
      this.list.push(e);
      if (e.kind === 'tenant') this.tenants.set(e.tenant, e);
    }
    // The store writes in call order and lets appends made together share one fsync.
    const written = this.store.append(chained);
    const previous = this.writes;
    this.writes = Promise.all([previous, written.catch(() => undefined)]).then(() => undefined);
    return written.then(() => chained);
  }

  /** Resolves when every append so far is durable. */
  settled(): Promise<void> {
    return this.writes;
  }

  tenant(id: string): TenantEntry | undefined {
    return this.tenants.get(id);
  }

  allTenants(): TenantEntry[] {
    return [...this.tenants.values()];
  }

  setTenant(tenant: string, plan: PricePlan, sinceYear: number): Promise<LedgerEntry[]> {
    return this.append({ kind: 'tenant', tenant, plan, sinceYear });
  }

  close(): Promise<void> {
    return this.writes.then(() => this.store.close());
  }
}
