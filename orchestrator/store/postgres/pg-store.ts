// The orchestrator's state on PostgreSQL: nodes, workloads, their reservations and transitions in
// tables. save() writes only the records that changed since the last save, in one transaction, so
// a save that resolved is committed.
import pg from 'pg';
import type { PersistedNode, PersistedState, StateStore } from '../store.ts';
import { migrate } from './migrate.ts';

interface StoredWorkload {
  id: string;
  state: string;
  nodeId: string | null;
  acceleratorIndexes?: number[];
  history?: { state: string; atMs: number; reason: string; nodeId: string | null }[];
}

const TERMINAL_STATES = new Set(['completed', 'failed', 'stopped']);

/** A pool for a postgres:// URL, with an error handler so a dropped idle connection does not crash the process. */
export function openPool(url: string, onError: (e: Error) => void = () => undefined): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', onError);
  return pool;
}

export class PostgresStore implements StateStore {
  /** What was last written per record, to skip the unchanged ones. */
  private readonly written = new Map<string, string>();
  private readonly eventsWritten = new Map<string, number>();

  constructor(readonly pool: pg.Pool) {}

  /** Opens the pool and applies pending migrations. */
  static async open(url: string, onError?: (e: Error) => void): Promise<PostgresStore> {
    const pool = openPool(url, onError);
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new Error(`${(e as Error).message} (store ${redact(url)})`);
    }
    return new PostgresStore(pool);
  }

  async load(): Promise<PersistedState> {
    const nodes = (await this.pool.query<{ doc: PersistedNode }>('SELECT doc FROM nodes ORDER BY id')).rows.map((r) => r.doc);
    const workloads = (await this.pool.query<{ doc: StoredWorkload }>('SELECT doc FROM workloads ORDER BY id')).rows.map((r) => r.doc);
    const events = await this.pool.query<{ workload_id: string; n: number }>('SELECT workload_id, max(n) AS n FROM workload_events GROUP BY workload_id');
    this.written.clear();
    for (const n of nodes) this.written.set(`n:${n.id}`, JSON.stringify(n));
    for (const w of workloads) this.written.set(`w:${w.id}`, JSON.stringify(w));
    this.eventsWritten.clear();
    for (const e of events.rows) this.eventsWritten.set(e.workload_id, Number(e.n) + 1);
    return { version: 1, nodes, workloads };
  }

  private saving: Promise<void> = Promise.resolve();

  /** Saves run one after another, so an older snapshot never commits over a newer one. */
  save(state: PersistedState): Promise<void> {
    const next = this.saving.then(() => this.write(state));
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async write(state: PersistedState): Promise<void> {
    const nodes = state.nodes.map((n) => ({ n, json: JSON.stringify(n) })).filter(({ n, json }) => this.written.get(`n:${n.id}`) !== json);
    const workloads = (state.workloads as StoredWorkload[])
      .map((w) => ({ w, json: JSON.stringify(w) }))
      .filter(({ w, json }) => this.written.get(`w:${w.id}`) !== json);
    if (nodes.length === 0 && workloads.length === 0) return;
    const c = await this.pool.connect();
    const events = new Map<string, number>();
    try {
      await c.query('BEGIN');
      for (const { n, json } of nodes) {
        await c.query(
          'INSERT INTO nodes (id, site, last_seen_ms, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET site = $2, last_seen_ms = $3, doc = $4',
          [n.id, n.site, Math.round(n.lastSeenMs), json],
        );
      }
      for (const { w, json } of workloads) {
        await c.query('INSERT INTO workloads (id, state, node_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET state = $2, node_id = $3, doc = $4', [
          w.id,
          w.state,
          w.nodeId,
          json,
        ]);
        await c.query('DELETE FROM reservations WHERE workload_id = $1', [w.id]);
        if (w.nodeId !== null && !TERMINAL_STATES.has(w.state)) {
          for (const i of w.acceleratorIndexes ?? []) {
            await c.query('INSERT INTO reservations (workload_id, node_id, accelerator_index) VALUES ($1, $2, $3)', [w.id, w.nodeId, i]);
          }
        }
        const history = w.history ?? [];
        const from = this.eventsWritten.get(w.id) ?? 0;
        for (let i = from; i < history.length; i++) {
          const t = history[i]!;
          await c.query(
            'INSERT INTO workload_events (workload_id, n, at_ms, state, node_id, reason) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
            [w.id, i, Math.round(t.atMs), t.state, t.nodeId, t.reason],
          );
        }
        events.set(w.id, history.length);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
    for (const { n, json } of nodes) this.written.set(`n:${n.id}`, json);
    for (const { w, json } of workloads) this.written.set(`w:${w.id}`, json);
    for (const [id, n] of events) this.eventsWritten.set(id, n);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
