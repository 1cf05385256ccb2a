// The default store: one JSON file via lowdb (atomic rename writes through steno), fine for a
// city fleet; a server database can implement StateStore for more.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { emptyState, type PersistedState, type StateStore } from './store.ts';

export class LowdbStore implements StateStore {
  private readonly db: Low<PersistedState>;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Low<PersistedState>(new JSONFile<PersistedState>(path), emptyState());
  }

  async load(): Promise<PersistedState> {
    try {
      await this.db.read();
    } catch (e) {
      throw new Error(`cannot read orchestrator state ${this.path}: ${(e as Error).message}; move it aside to start empty`);
    }
    const d = this.db.data as Partial<PersistedState> | null;
    if (!d || d.version !== 1 || !Array.isArray(d.nodes) || !Array.isArray(d.workloads)) {
      throw new Error(`orchestrator state ${this.path} is not a Banyan v1 state file; move it aside to start empty`);
    }
    return d as PersistedState;
  }

  async save(state: PersistedState): Promise<void> {
    this.db.data = state;
    await this.db.write();
  }

  async close(): Promise<void> {}
}
