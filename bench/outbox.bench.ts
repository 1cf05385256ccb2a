// Outbox throughput on this machine's disk: append rate with the default fsync policy (telemetry
// not fsynced, events fsynced) and replay rate through drain() with an immediately-resolving send.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxKind } from '../agent/outbox.ts';
import type { Figure } from './figures.ts';

const ITEMS = 20_000;
const PAYLOAD = 300; // about one encoded telemetry envelope

export default async function outboxBench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'banyan-outbox-bench-'));
  try {
    const box = new Outbox({ dir, maxBytes: 64 << 20 });
    const payload = new Uint8Array(PAYLOAD).fill(7);
    const write = (kind: OutboxKind, n: number): number => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) box.append({ kind, channel: kind, topic: `banyan/v1/site/node/${kind}`, payload });
      return n / ((performance.now() - t0) / 1000);
    };
    const telemetryPerS = write('telemetry', ITEMS);
    const eventPerS = write('event', 2_000);
    const total = box.size().items;
    const t0 = performance.now();
    const r = await box.drain(async () => {});
    const replayPerS = r.sent / ((performance.now() - t0) / 1000);
    if (r.sent !== total || box.size().items !== 0) throw new Error(`replayed ${r.sent} of ${total}`);
    box.close();
    return [
      { name: 'outbox.replay_per_s', value: replayPerS, unit: 'items/s', note: `${total} items of ${PAYLOAD} B payload, drain() with a send that resolves at once` },
      { name: 'outbox.write_per_s.telemetry', value: telemetryPerS, unit: 'items/s', note: `${ITEMS} appends, written, not fsynced (policy must-keep)` },
      { name: 'outbox.write_per_s.event', value: eventPerS, unit: 'items/s', note: '2000 appends, each fsynced (policy must-keep)' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
