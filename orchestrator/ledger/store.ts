// Where ledger entries live. The embedded default is an append-only JSON-lines file, fsynced
// before append() resolves: appending to a hash chain rewrites nothing, while the state file's
// lowdb rewrites the whole document on every save (O(ledger) per entry). Concurrent appends share
// one write and one fsync (group commit). A server database implements the same interface.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, ftruncateSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Chained } from './chain.ts';

export interface LedgerStore {
  /** Every entry, oldest first. */
  readAll(): Promise<Chained[]>;
  /** Resolves once the entries are durable (on disk, fsynced). */
  append(entries: readonly Chained[]): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLedgerStore implements LedgerStore {
  readonly entries: Chained[] = [];
  async readAll(): Promise<Chained[]> {
    return this.entries.map((e) => structuredClone(e));
  }
  async append(entries: readonly Chained[]): Promise<void> {
    this.entries.push(...entries.map((e) => structuredClone(e)));
  }
  async close(): Promise<void> {}
}

export class FileLedgerStore implements LedgerStore {
  private fd: number | null = null;
  private pending: { lines: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async readAll(): Promise<Chained[]> {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const entries: Chained[] = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      const end = offset + Buffer.byteLength(line) + 1;
      if (line.trim() !== '') {
        try {
          entries.push(JSON.parse(line) as Chained);
        } catch {
          // A torn last line is a write that crashed before its fsync, so it was never acknowledged.
          if (end >= Buffer.byteLength(text)) {
            this.truncateTo(offset);
            break;
          }
          throw new Error(`ledger ${this.path}: line ${entries.length + 1} is not JSON; run \`banyan ledger verify\` and restore the file from a backup`);
        }
      }
      offset = end;
    }
    return entries;
  }

  append(entries: readonly Chained[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ lines: entries.map((e) => JSON.stringify(e) + '\n').join(''), resolve, reject });
      this.flushing ??= Promise.resolve().then(() => this.flush());
    });
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const fd = this.open();
        writeSync(fd, batch.map((b) => b.lines).join(''));
        fsyncSync(fd);
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e as Error);
      }
    }
    this.flushing = null;
  }

  private open(): number {
    if (this.fd === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a', 0o640);
    }
    return this.fd;
  }

  private truncateTo(bytes: number): void {
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
