// The default store: one JSON file, read through lowdb's adapter and replaced atomically (a temp
// file renamed over it, as lowdb's steno does), fine for a city fleet; a server database can
// implement StateStore for more.
//
// The file is written a node at a time rather than as one string: at 10k nodes the state is ~90 MB
// of JSON, and lowdb's whole-document write held that string, its UTF-8 copy and, while saves came
// faster than writes, earlier ones chained behind it: most of the orchestrator's memory per node.
// The bytes are the same as lowdb's (JSON.stringify(state, null, 2)), so files of either read back.
import { mkdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { emptyState, type PersistedState, type StateStore } from './store.ts';

/** Bytes of JSON gathered before each write to the temp file. */
const CHUNK_CHARS = 256 * 1024;

/**
 * A state ready to write: every field but the nodes already as its JSON text (taken when save was
 * called, so later changes to workloads do not leak into it); the nodes, each its own small record,
 * are turned into text as the write reaches them.
 */
interface Doc {
  /** `"key": value` lines of the top-level object, in order; null marks where the nodes go. */
  fields: ({ key: string; json: string } | null)[];
  nodes: readonly unknown[];
}

export class LowdbStore implements StateStore {
  private readonly file: JSONFile<PersistedState>;
  private readonly tempPath: string;
  /** Settles when the write in flight ends (never rejects: each save reports its own failure). */
  private inFlight: Promise<unknown> = Promise.resolve();
  /** The newest state waiting for the write in flight; a later save replaces it (only the last counts). */
  private next: { doc: Doc; written: Promise<void> } | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = new JSONFile<PersistedState>(path);
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

  async load(): Promise<PersistedState> {
    let d: Partial<PersistedState> | null;
    try {
      // Not kept here: the registry holds what it restores, and a copy here would outlive it.
      d = await this.file.read();
    } catch (e) {
      throw new Error(`cannot read orchestrator state ${this.path}: ${(e as Error).message}; move it aside to start empty`);
    }
    d ??= emptyState();
    if (d.version !== 1 || !Array.isArray(d.nodes) || !Array.isArray(d.workloads)) {
      throw new Error(`orchestrator state ${this.path} is not a Banyan v1 state file; move it aside to start empty`);
    }
    return d as PersistedState;
  }

  /** Resolves once this state, or a newer one saved meanwhile, is in the file. */
  save(state: PersistedState): Promise<void> {
    const doc = toDoc(state);
    if (this.next) {
      this.next.doc = doc;
      return this.next.written;
    }
    const next = { doc, written: Promise.resolve() };
    next.written = this.inFlight.then(() => {
      this.next = null;
      return this.write(next.doc);
    });
    this.next = next;
    this.inFlight = next.written.catch(() => undefined);
    return next.written;
  }

  async close(): Promise<void> {
    await this.inFlight;
  }

  private async write(doc: Doc): Promise<void> {
    const fh = await open(this.tempPath, 'w');
    try {
      let chunk = '{';
      let first = true;
      for (const f of doc.fields) {
        chunk += `${first ? '' : ','}\n  `;
        first = false;
        if (f) {
          chunk += `${JSON.stringify(f.key)}: ${f.json}`;
          continue;
        }
        chunk += '"nodes": [';
        for (let i = 0; i < doc.nodes.length; i++) {
          chunk += `${i ? ',' : ''}\n    ${indent(JSON.stringify(doc.nodes[i], null, 2) ?? 'null', '    ')}`;
          if (chunk.length >= CHUNK_CHARS) {
            await fh.write(chunk);
            chunk = '';
          }
        }
        chunk += doc.nodes.length ? '\n  ]' : ']';
      }
      chunk += first ? '}' : '\n}';
      await fh.write(chunk);
    } finally {
      await fh.close();
    }
    await rename(this.tempPath, this.path);
  }
}

function toDoc(state: PersistedState): Doc {
  const fields: Doc['fields'] = [];
  for (const [key, value] of Object.entries(state)) {
    if (key === 'nodes') {
      fields.push(null);
      continue;
    }
    const json = JSON.stringify(value, null, 2) as string | undefined;
    if (json !== undefined) fields.push({ key, json: indent(json, '  ') });
  }
  return { fields, nodes: state.nodes };
}

/** A value's pretty JSON as it reads nested `pad` deep (JSON strings hold no raw newlines). */
function indent(json: string, pad: string): string {
  return json.replaceAll('\n', `\n${pad}`);
}
