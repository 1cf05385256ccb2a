// The ledger's hash chain on PostgreSQL: append() resolves after COMMIT; seq is the primary key,
// so a deposed leader's stale chain cannot fork it (its append fails instead).
import type pg from 'pg';
import type { Chained } from '../../ledger/chain.ts';
import type { LedgerStore } from '../../ledger/store.ts';

export class PostgresLedgerStore implements LedgerStore {
  constructor(private readonly pool: pg.Pool) {}

  async readAll(): Promise<Chained[]> {
    return (await this.pool.query<{ entry: Chained }>('SELECT entry FROM ledger_entries ORDER BY seq')).rows.map((r) => r.entry);
  }

  async append(entries: readonly Chained[]): Promise<void> {
    if (entries.length === 0) return;
    const seqs = entries.map((e) => e.seq);
    const docs = entries.map((e) => JSON.stringify(e));
    await this.pool.query('INSERT INTO ledger_entries (seq, entry) SELECT * FROM unnest($1::bigint[], $2::jsonb[])', [seqs, docs]);
  }

  /** The pool belongs to the state store, which ends it. */
  async close(): Promise<void> {}
}
