// What the orchestrator keeps across restarts, behind an interface a server database can implement.
import type { NodeRecord } from '../registry.ts';

export type PersistedNode = Pick<NodeRecord, 'id' | 'site' | 'birth' | 'lastSeenMs' | 'bench'>;

export interface PersistedState {
  version: 1;
  nodes: PersistedNode[];
  /** Owned by orchestrator/workloads; opaque here, validated by its owner on load. */
  workloads: unknown[];
}

export interface StateStore {
  load(): Promise<PersistedState>;
  save(state: PersistedState): Promise<void>;
  close(): Promise<void>;
}

export function emptyState(): PersistedState {
  return { version: 1, nodes: [], workloads: [] };
}

export class MemoryStore implements StateStore {
  private state = emptyState();
  async load(): Promise<PersistedState> {
    return structuredClone(this.state);
  }
  async save(state: PersistedState): Promise<void> {
    this.state = structuredClone(state);
  }
  async close(): Promise<void> {}
}
