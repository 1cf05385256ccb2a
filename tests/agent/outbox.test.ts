import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, readdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxKind, type StoredItem } from '../../agent/outbox.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'banyan-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const item = (kind: OutboxKind, n: number, size = 100) => ({
  kind,
  channel: kind === 'telemetry' ? 'telemetry' : kind,
  topic: `banyan/v1/s/n/${kind}`,
  payload: new Uint8Array(size).fill(n % 256),
});

async function drainAll(box: Outbox): Promise<StoredItem[]> {
  const got: StoredItem[] = [];
  const r = await box.drain(async (i) => void got.push(i));
  expect(r.error).toBeUndefined();
  return got;
}

describe('Outbox', () => {
  it('replays in seq order with channel, topic and payload intact', async () => {
    const box = new Outbox({ dir, maxBytes: 1 << 20 });
    for (let i = 0; i < 50; i++) box.append(item(i % 3 === 0 ? 'event' : 'telemetry', i));
    const got = await drainAll(box);
    expect(got.map((g) => g.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(got[3]).toMatchObject({ kind: 'event', channel: 'event', topic: 'banyan/v1/s/n/event' });
    expect([...got[3]!.payload.slice(0, 3)]).toEqual([3, 3, 3]);
    expect(box.size().items).toBe(0);
    expect(box.stats()).toMatchObject({ stored: 50, replayed: 50 });
  });

  it('stays within its bound by dropping the oldest telemetry, never events or bench results', async () => {
    const box = new Outbox({ dir, maxBytes: 8_000, segmentBytes: 1_000 });
    for (let i = 0; i < 10; i++) box.append(item('event', i));
    for (let i = 0; i < 10; i++) box.append(item('bench', i));
    for (let i = 0; i < 200; i++) expect(box.append(item('telemetry', i)).stored).toBe(true);
    const s = box.stats();
    expect(s.bytes).toBeLessThanOrEqual(8_000);
    expect(s.dropped.telemetry).toBeGreaterThan(100);
    expect(s.dropped.event + s.dropped.bench).toBe(0);
    const got = await drainAll(box);
    expect(got.filter((g) => g.kind === 'event')).toHaveLength(10);
    expect(got.filter((g) => g.kind === 'bench')).toHaveLength(10);
    const tele = got.filter((g) => g.kind === 'telemetry').map((g) => g.payload[0]);
    // The newest telemetry survives: the last one appended (199 % 256) is there.
    expect(tele.at(-1)).toBe(199);
    expect(got.map((g) => g.seq)).toEqual([...got.map((g) => g.seq)].sort((a, b) => a - b));
  });

  it('refuses new telemetry but keeps every event when only must-keep items fill it', () => {
    const warnings: string[] = [];
    const box = new Outbox({ dir, maxBytes: 2_000, segmentBytes: 500, warn: (m) => warnings.push(m) });
    for (let i = 0; i < 30; i++) box.append(item('event', i));
    expect(box.stats().overBudgetBytes).toBeGreaterThan(0);
    const r = box.append(item('telemetry', 1));
    expect(r.stored).toBe(false);
    expect(box.stats().refused.telemetry).toBe(1);
    expect(box.size().items).toBe(30);
    expect(warnings.some((w) => w.includes('refusing new telemetry'))).toBe(true);
  });

  it('survives a reopen, and cuts a torn last write without losing earlier items', async () => {
    const a = new Outbox({ dir, maxBytes: 1 << 20 });
    for (let i = 0; i < 20; i++) a.append(item('event', i));
    // No close(): a crash. Then half a record lands at the end of the newest segment.
    const seg = readdirSync(dir).filter((f) => f.startsWith('seg-')).sort().at(-1)!;
    appendFileSync(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const b = new Outbox({ dir, maxBytes: 1 << 20 });
    expect(b.stats().recoveredTornBytes).toBe(7);
    b.append(item('bench', 99));
    const got = await drainAll(b);
    expect(got.map((g) => g.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('removes only what send acknowledged; a failed send leaves the rest for next time', async () => {
    const box = new Outbox({ dir, maxBytes: 1 << 20, cursorEvery: 1 });
    for (let i = 0; i < 10; i++) box.append(item('event', i));
    let calls = 0;
    const r = await box.drain(async () => {
      if (++calls === 5) throw new Error('broker went away');
    });
    expect(r).toMatchObject({ sent: 4, remaining: 6 });
    expect(r.error?.message).toBe('broker went away');
    // A new process on the same dir resumes at the unacknowledged item.
    const reopened = new Outbox({ dir, maxBytes: 1 << 20 });
    const got = await drainAll(reopened);
    expect(got.map((g) => g.seq)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('re-sends (never loses) items acknowledged after the last saved cursor when it crashes mid-replay', async () => {
    const box = new Outbox({ dir, maxBytes: 1 << 20, cursorEvery: 100 });
    for (let i = 0; i < 10; i++) box.append(item('event', i));
    let calls = 0;
    await box.drain(async () => {
      if (++calls === 4) throw new Error('crash');
    });
    // Simulate the crash: the cursor save at drain end is what a real crash would skip.
    rmSync(join(dir, 'cursor.json'), { force: true });
    const got = await drainAll(new Outbox({ dir, maxBytes: 1 << 20 }));
    expect(got[0]!.seq).toBeLessThanOrEqual(4);
    expect(got.at(-1)!.seq).toBe(10);
  });
});
