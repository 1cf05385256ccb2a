import { describe, expect, it } from 'vitest';
import { EnvelopeFactory } from '../../agent/envelopes.ts';

const beat = { body: 'state', state: { status: 'ONLINE' } } as const;

describe('EnvelopeFactory ids', () => {
  it('gives every process a different random session id', () => {
    const ids = new Set(Array.from({ length: 50 }, () => new EnvelopeFactory('n1').sessionId));
    expect(ids.size).toBe(50);
    expect([...ids][0]).toMatch(/^s-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never repeats a msg_id in a session, and a restamped envelope keeps its own', () => {
    const old = new EnvelopeFactory('n1');
    const replay = old.next(beat);
    const f = new EnvelopeFactory('n1');
    const sent = Array.from({ length: 1000 }, () => f.next(beat));
    const again = f.restamp(replay);
    const after = f.next(beat);
    expect(new Set([...sent, again, after].map((e) => e.msgId)).size).toBe(1002);
    expect(again).toMatchObject({ msgId: replay.msgId, sessionId: f.sessionId, seq: 1001 });
    expect(after.seq).toBe(1002);
  });

  it('gives each connection its own will, so a second will is not taken for a duplicate', () => {
    const f = new EnvelopeFactory('n1');
    const [a, b] = [f.will(), f.will()];
    expect(a.msgId).not.toBe(b.msgId);
    expect(a).toMatchObject({ seq: 0, sessionId: f.sessionId, body: 'state', state: { status: 'OFFLINE' } });
  });
});
