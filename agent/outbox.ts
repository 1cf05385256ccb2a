// Store-and-forward for encoded envelopes while the broker is away. Items go to append-only
// segment files under `dir`, bounded by `maxBytes`; `drain` replays them in seq order and
// removes an item only after its send resolved (a crash mid-replay re-sends; the orchestrator
// de-duplicates by msg_id).
//
// When full: telemetry and latency samples are dropped oldest-first (the oldest segment holding
// any is rewritten without them); events and bench results never are. If only those remain and
// the outbox is still full, new samples are refused, and must-keep items are stored over the
// bound (counted in `overBudgetBytes` and logged).
//
// Durability: every append is written (writeSync) before append() returns, so it survives a
// crash of the agent process. With fsync 'must-keep' (default) events and bench results are also
// fsynced, so they survive power loss; samples reach the disk with the next fsync. 'always'
// fsyncs everything, 'none' nothing. Segment rewrites and the replay cursor are atomic
// (temp + fsync + rename). The cursor is saved every `cursorEvery` acks and when a drain ends,
// which bounds how much a crash mid-replay sends again.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, fsyncDir } from './exec/state-dir.ts';
import { DROPPABLE, OUTBOX_KINDS, decodeRecord, encodeRecord, scanRecords, type OutboxItem, type OutboxKind, type StoredItem } from './outbox/record.ts';

export type { OutboxItem, OutboxKind, StoredItem } from './outbox/record.ts';

export type FsyncPolicy = 'must-keep' | 'always' | 'none';

export interface OutboxOptions {
  dir: string;
  maxBytes: number;
  /** Segment size; smaller segments make dropping cheaper. Default maxBytes/16, 4 KiB..4 MiB. */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  cursorEvery?: number;
  warn?: (message: string) => void;
}

export interface OutboxStats {
  items: number;
  bytes: number;
  maxBytes: number;
  stored: number;
  replayed: number;
  dropped: Record<OutboxKind, number>;
  refused: Record<OutboxKind, number>;
  overBudgetBytes: number;
  /** Bytes cut from torn or corrupt segment tails when the outbox was opened. */
  recoveredTornBytes: number;
}

export type AppendResult = { stored: true; seq: number } | { stored: false; reason: string };

export interface DrainResult {
  sent: number;
  remaining: number;
  error?: Error;
}

interface Entry {
  seq: number;
  kind: OutboxKind;
  seg: Segment;
  offset: number;
  size: number;
  gone: boolean;
}

interface Segment {
  path: string;
  bytes: number;
  live: Entry[];
}

const zeroByKind = (): Record<OutboxKind, number> =>
  Object.fromEntries(OUTBOX_KINDS.map((k) => [k, 0])) as Record<OutboxKind, number>;

export class Outbox {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: FsyncPolicy;
  private readonly cursorEvery: number;
  private readonly warn: (m: string) => void;
  private segments: Segment[] = [];
  private active: { seg: Segment; fd: number } | null = null;
  private nextSeq = 1;
  private ackedSeq = 0;
  private unsavedAcks = 0;
  private draining: Promise<DrainResult> | null = null;
  private readonly counters = { stored: 0, replayed: 0, dropped: zeroByKind(), refused: zeroByKind(), recoveredTornBytes: 0 };

  constructor(opts: OutboxOptions) {
    if (!(opts.maxBytes > 0)) throw new RangeError('outbox maxBytes must be > 0');
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? Math.min(4 << 20, Math.max(4096, Math.floor(opts.maxBytes / 16)));
    this.fsync = opts.fsync ?? 'must-keep';
    this.cursorEvery = opts.cursorEvery ?? 64;
    this.warn = opts.warn ?? (() => {});
    mkdirSync(this.dir, { recursive: true });
    this.load();
  }

  append(item: OutboxItem): AppendResult {
    if (!OUTBOX_KINDS.includes(item.kind)) return { stored: false, reason: `unknown kind "${String(item.kind)}"` };
    const seq = this.nextSeq;
    const rec = encodeRecord(seq, item);
    if (rec.length > this.maxBytes) {
      this.counters.refused[item.kind]++;
      return { stored: false, reason: `item of ${rec.length} bytes exceeds the outbox bound of ${this.maxBytes}` };
    }
    if (this.bytes() + rec.length > this.maxBytes && !this.makeRoom(rec.length)) {
      if (DROPPABLE.has(item.kind)) {
        this.counters.refused[item.kind]++;
        this.warn(`outbox full (${this.bytes()} of ${this.maxBytes} bytes) with events and bench results only; refusing new ${item.kind}`);
        return { stored: false, reason: 'outbox full of items that are never dropped' };
      }
      this.warn(`outbox over its bound by ${this.bytes() + rec.length - this.maxBytes} bytes: ${item.kind} items are never dropped`);
    }
    const active = this.activeFor(seq, rec.length);
    writeSync(active.fd, rec);
    if (this.fsync === 'always' || (this.fsync === 'must-keep' && !DROPPABLE.has(item.kind))) fsyncSync(active.fd);
    active.seg.live.push({ seq, kind: item.kind, seg: active.seg, offset: active.seg.bytes, size: rec.length, gone: false });
    active.seg.bytes += rec.length;
    this.nextSeq++;
    this.counters.stored++;
    return { stored: true, seq };
  }

  /** Sends every item in seq order, each removed once `send` resolves; stops at the first rejection. */
  drain(send: (item: StoredItem) => Promise<void>): Promise<DrainResult> {
    this.draining ??= this.replay(send).finally(() => (this.draining = null));
    return this.draining;
  }

  size(): { items: number; bytes: number } {
    return { items: this.segments.reduce((n, s) => n + s.live.length, 0), bytes: this.bytes() };
  }

  stats(): OutboxStats {
    const { items, bytes } = this.size();
    return {
      items,
      bytes,
      maxBytes: this.maxBytes,
      stored: this.counters.stored,
      replayed: this.counters.replayed,
      dropped: { ...this.counters.dropped },
      refused: { ...this.counters.refused },
      overBudgetBytes: Math.max(0, bytes - this.maxBytes),
      recoveredTornBytes: this.counters.recoveredTornBytes,
    };
  }

  close(): void {
    this.saveCursor();
    if (this.active) {
      fsyncSync(this.active.fd);
      closeSync(this.active.fd);
      this.active = null;
    }
  }

  private async replay(send: (item: StoredItem) => Promise<void>): Promise<DrainResult> {
    let sent = 0;
    try {
      for (let e = this.first(); e; e = this.first()) {
        const item = this.read(e);
        await send(item);
        if (!e.gone) this.ack(e);
        sent++;
        this.counters.replayed++;
      }
      return { sent, remaining: 0 };
    } catch (err) {
      return { sent, remaining: this.size().items, error: err instanceof Error ? err : new Error(String(err)) };
    } finally {
      this.saveCursor();
    }
  }

  private first(): Entry | undefined {
    for (const s of this.segments) if (s.live.length > 0) return s.live[0];
    return undefined;
  }

  private read(e: Entry): StoredItem {
    const buf = Buffer.allocUnsafe(e.size);
    const fd = openSync(e.seg.path, 'r');
    try {
      readSync(fd, buf, 0, e.size, e.offset);
    } finally {
      closeSync(fd);
    }
    return decodeRecord(buf);
  }

  private ack(e: Entry): void {
    e.gone = true;
    const seg = e.seg;
    seg.live.splice(seg.live.indexOf(e), 1);
    this.ackedSeq = Math.max(this.ackedSeq, e.seq);
    if (seg.live.length === 0) this.removeSegment(seg);
    if (++this.unsavedAcks >= this.cursorEvery) this.saveCursor();
  }

  private bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  private activeFor(seq: number, recordBytes: number): { seg: Segment; fd: number } {
    if (this.active && this.active.seg.bytes > 0 && this.active.seg.bytes + recordBytes > this.segmentBytes) {
      fsyncSync(this.active.fd);
      closeSync(this.active.fd);
      this.active = null;
    }
    if (!this.active) {
      const seg: Segment = { path: join(this.dir, segmentName(seq)), bytes: 0, live: [] };
      this.segments.push(seg);
      this.active = { seg, fd: openSync(seg.path, 'a') };
      fsyncDir(this.dir);
    }
    return this.active;
  }

  /** Drops samples oldest-first until `need` more bytes fit; false if only must-keep items remain. */
  private makeRoom(need: number): boolean {
    const fits = (): boolean => this.bytes() + need <= this.maxBytes;
    for (const seg of [...this.segments]) {
      if (fits()) break;
      let freed = 0;
      const deficit = this.bytes() + need - this.maxBytes;
      for (const e of seg.live) {
        if (freed >= deficit) break;
        if (!DROPPABLE.has(e.kind)) continue;
        e.gone = true;
        freed += e.size;
        this.counters.dropped[e.kind]++;
      }
      if (freed > 0) this.compact(seg);
    }
    return fits();
  }

  /** Rewrites a segment with only its live entries (atomically), or deletes it if none are left. */
  private compact(seg: Segment): void {
    seg.live = seg.live.filter((e) => !e.gone);
    if (seg.live.length === 0) {
      this.removeSegment(seg);
      return;
    }
    const isActive = this.active?.seg === seg;
    if (isActive) closeSync(this.active!.fd);
    const old = readFileSync(seg.path);
    const parts: Buffer[] = [];
    let offset = 0;
    for (const e of seg.live) {
      parts.push(old.subarray(e.offset, e.offset + e.size));
      e.offset = offset;
      offset += e.size;
    }
    writeFileAtomic(seg.path, Buffer.concat(parts), this.dir);
    seg.bytes = offset;
    if (isActive) this.active = { seg, fd: openSync(seg.path, 'a') };
  }

  private removeSegment(seg: Segment): void {
    if (this.active?.seg === seg) {
      closeSync(this.active.fd);
      this.active = null;
    }
    rmSync(seg.path, { force: true });
    this.segments = this.segments.filter((s) => s !== seg);
  }

  private saveCursor(): void {
    if (this.unsavedAcks === 0) return;
    writeFileAtomic(join(this.dir, 'cursor.json'), JSON.stringify({ ackedSeq: this.ackedSeq }), this.dir);
    this.unsavedAcks = 0;
  }

  private load(): void {
    this.ackedSeq = readCursor(join(this.dir, 'cursor.json'));
    let maxSeq = this.ackedSeq;
    const names = readdirSync(this.dir).sort();
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!/^seg-\d{16}\.log$/.test(name)) continue;
      const buf = readFileSync(path);
      const { records, validBytes } = scanRecords(buf);
      if (validBytes < buf.length) {
        // A torn last write (crash mid-append) or corruption: keep what is intact before it.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, validBytes);
        fsyncSync(fd);
        closeSync(fd);
        this.counters.recoveredTornBytes += buf.length - validBytes;
        this.warn(`outbox segment ${name}: cut ${buf.length - validBytes} torn or corrupt bytes at offset ${validBytes}`);
      }
      const seg: Segment = { path, bytes: validBytes, live: [] };
      for (const r of records) {
        maxSeq = Math.max(maxSeq, r.seq);
        if (r.seq > this.ackedSeq) seg.live.push({ ...r, seg, gone: false });
      }
      if (seg.live.length === 0) rmSync(path, { force: true });
      else this.segments.push(seg);
    }
    this.nextSeq = maxSeq + 1;
  }
}

function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

function readCursor(path: string): number {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return 0; // none yet (or unreadable): replaying again is safe, the orchestrator de-dups
  }
  const acked = (raw as { ackedSeq?: unknown } | null)?.ackedSeq;
  return typeof acked === 'number' && Number.isSafeInteger(acked) && acked >= 0 ? acked : 0;
}
