// The ledger's chain: durable appends, verify names the first broken entry, a torn last line (a
// write that crashed before its fsync) is dropped, and a restart continues the same chain.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../orchestrator/ledger/chain.ts';
import { Ledger } from '../../../orchestrator/ledger/ledger.ts';
import { FileLedgerStore, MemoryLedgerStore } from '../../../orchestrator/ledger/store.ts';
import { snapshotOf } from '../../../orchestrator/ledger/capacity.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'banyan-ledger-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const snap = (day: string, p: number) => snapshotOf(day, [{ site: 's1', nominalPflops: p, domesticPflops: p, measuredPflops: 0 }]);

describe('ledger chain', () => {
  it('hashes a canonical form: key order does not matter, undefined keys are dropped', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }] })).toBe('{"a":[2,{"d":3}],"b":1}');
    expect(() => canonicalJson({ a: NaN })).toThrow(/finite/);
  });

  it('verifies a good chain and names the first changed, removed or reordered entry', async () => {
    const store = new MemoryLedgerStore();
    const l = await Ledger.open(store, () => 1_000);
    await l.append(snap('2026-01-01', 1), snap('2026-01-02', 2), snap('2026-01-03', 3), snap('2026-01-04', 4));
    expect(l.verify()).toMatchObject({ ok: true, entries: 4 });

    const changed = await Ledger.open(store);
    (changed.entries()[1] as { nominalPflops: number }).nominalPflops = 200;
    expect(changed.verify()).toMatchObject({ ok: false, brokenSeq: 2, reason: expect.stringMatching(/content does not match its hash/) });

    const removed = new MemoryLedgerStore();
    removed.entries.push(...store.entries.filter((e) => e.seq !== 3));
    expect((await Ledger.open(removed)).verify()).toMatchObject({ ok: false, brokenSeq: 4, reason: expect.stringMatching(/expected 3/) });

    const reordered = new MemoryLedgerStore();
    reordered.entries.push(store.entries[0]!, store.entries[2]!, store.entries[1]!, store.entries[3]!);
    expect((await Ledger.open(reordered)).verify()).toMatchObject({ ok: false, brokenSeq: 3 });

    // Rehashing a changed entry does not help: the next entry's prevHash still names the old one.
    const forged = new MemoryLedgerStore();
    forged.entries.push(...structuredClone(store.entries));
    const { chain } = await import('../../../orchestrator/ledger/chain.ts');
    const e1 = forged.entries[1]!;
    const { seq: _s, atMs, prevHash: _p, hash: _h, ...body } = e1;
    forged.entries[1] = chain({ ...body, nominalPflops: 200 } as typeof body, { seq: 1, hash: forged.entries[0]!.hash }, atMs);
    expect((await Ledger.open(forged)).verify()).toMatchObject({ ok: false, brokenSeq: 3, reason: expect.stringMatching(/prevHash/) });
  });

  it('survives a restart on its file and continues the same chain', async () => {
    const path = join(tmp(), 'ledger.jsonl');
    const a = await Ledger.open(new FileLedgerStore(path));
    await a.append(snap('2026-01-01', 1));
    await a.append(snap('2026-01-02', 2));
    await a.close();
    const b = await Ledger.open(new FileLedgerStore(path));
    expect(b.size).toBe(2);
    await b.append(snap('2026-01-03', 3));
    await b.close();
    const c = await Ledger.open(new FileLedgerStore(path));
    expect(c.verify()).toMatchObject({ ok: true, entries: 3 });
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('drops a torn last line (never acknowledged) but refuses garbage in the middle', async () => {
    const path = join(tmp(), 'ledger.jsonl');
    const a = await Ledger.open(new FileLedgerStore(path));
    await a.append(snap('2026-01-01', 1), snap('2026-01-02', 2));
    await a.close();
    appendFileSync(path, '{"kind":"snapshot","day":"2026-01-0');
    const b = await Ledger.open(new FileLedgerStore(path));
    expect(b.size).toBe(2);
    expect(b.verify().ok).toBe(true);
    await b.append(snap('2026-01-03', 3));
    await b.close();
    expect((await Ledger.open(new FileLedgerStore(path))).verify()).toMatchObject({ ok: true, entries: 3 });

    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = 'not json';
    writeFileSync(path, lines.join('\n'));
    await expect(Ledger.open(new FileLedgerStore(path))).rejects.toThrow(/line 2 is not JSON; run `banyan ledger verify`/);
  });

  it('shares one write among appends made together, in order', async () => {
    const path = join(tmp(), 'ledger.jsonl');
    const l = await Ledger.open(new FileLedgerStore(path));
    await Promise.all(Array.from({ length: 50 }, (_, i) => l.append(snap(`2026-02-${String((i % 28) + 1).padStart(2, '0')}`, i))));
    await l.close();
    const again = await Ledger.open(new FileLedgerStore(path));
    expect(again.verify()).toMatchObject({ ok: true, entries: 50 });
    expect(again.entries().map((e) => (e as { nominalPflops: number }).nominalPflops)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
