import { describe, expect, it } from 'vitest';
import { encode } from '../../protocol/codec.ts';
import { Ingest } from '../../orchestrator/ingest.ts';
import { LatencyModel } from '../../orchestrator/latency/model.ts';
import { Registry } from '../../orchestrator/registry.ts';
import { BODIES, birth, envelope } from '../helpers/envelopes.ts';

const ROOT = 'banyan/v1';
const topic = (node: string, ch: string) => `${ROOT}/site-1/${node}/${ch}`;

function setup(now = { t: 1000 }) {
  const changes: string[] = [];
  const registry = new Registry({ clock: () => now.t, minSilentMs: 3000, onChange: (c) => changes.push(`${c.node.id}:${c.to}:${c.reason}`) });
  const ingest = new Ingest(ROOT, registry);
  return { registry, ingest, changes, now };
}

describe('ingest', () => {
  it('accepts a birth and lists the node online', () => {
    const { registry, ingest, changes } = setup();
    const r = ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth() })));
    expect(r.ok).toBe(true);
    expect(registry.get('node-a')).toMatchObject({ status: 'online', statusReason: 'birth', site: 'site-1' });
    expect(changes).toEqual(['node-a:online:birth']);
  });

  it("rejects node A's payload on node B's topic, and counts it", () => {
    const { registry, ingest } = setup();
    const r = ingest.handle(topic('node-b', 'telemetry'), encode(envelope(BODIES[2]!, { nodeId: 'node-a' })));
    expect(r).toMatchObject({ ok: false, reason: 'node_mismatch' });
    expect(ingest.rejected.get('node_mismatch')).toBe(1);
    expect(registry.get('node-b')).toBeUndefined();
  });

  it('rejects a publisher whose MQTT identity is not the topic node', () => {
    const { ingest } = setup();
    const r = ingest.handle(topic('node-a', 'state'), encode(envelope(BODIES[1]!)), 'node-x');
    expect(r).toMatchObject({ ok: false, reason: 'identity_mismatch' });
  });

  it('rejects duplicates by msg_id and backwards seq within a session', () => {
    const { ingest } = setup();
    // A node exists once it is born (its birth is seq 1 of the session).
    expect(ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth() }, { seq: 1 }))).ok).toBe(true);
    const e = envelope(BODIES[1]!, { seq: 10 });
    expect(ingest.handle(topic('node-a', 'state'), encode(e)).ok).toBe(true);
    expect(ingest.handle(topic('node-a', 'state'), encode(e))).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(ingest.handle(topic('node-a', 'state'), encode(envelope(BODIES[1]!, { seq: 9 })))).toMatchObject({ ok: false, reason: 'seq_backwards' });
    // a new session starts its own sequence
    expect(ingest.handle(topic('node-a', 'state'), encode(envelope(BODIES[1]!, { seq: 2, sessionId: 's-2' }))).ok).toBe(true);
    expect(ingest.rejected.get('duplicate')).toBe(1);
    expect(ingest.rejected.get('seq_backwards')).toBe(1);
  });

  it('orders a session per channel: an older event after newer telemetry is accepted (a cluster delivers channels apart), a replay on its own channel is not', () => {
    const { ingest } = setup();
    expect(ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth() }, { seq: 1 }))).ok).toBe(true);
    expect(ingest.handle(topic('node-a', 'telemetry'), encode(envelope(BODIES[2]!, { seq: 12 }))).ok).toBe(true);
    expect(ingest.handle(topic('node-a', 'state'), encode(envelope(BODIES[1]!, { seq: 11 }))).ok).toBe(true);
    expect(ingest.handle(topic('node-a', 'telemetry'), encode(envelope(BODIES[2]!, { seq: 10 })))).toMatchObject({ ok: false, reason: 'seq_backwards' });
    expect(ingest.handle(topic('node-a', 'state'), encode(envelope(BODIES[1]!, { seq: 11 })))).toMatchObject({ ok: false, reason: 'seq_backwards' });
    expect(ingest.handle(topic('node-a', 'telemetry'), encode(envelope(BODIES[2]!, { seq: 13 }))).ok).toBe(true);
  });

  it('rejects a body on the wrong channel, garbage and foreign topics', () => {
    const { ingest } = setup();
    expect(ingest.handle(topic('node-a', 'birth'), encode(envelope(BODIES[1]!)))).toMatchObject({ ok: false, reason: 'channel_mismatch' });
    expect(ingest.handle(topic('node-a', 'birth'), new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
    expect(ingest.handle('elsewhere/x', encode(envelope(BODIES[1]!)))).toMatchObject({ ok: false, reason: 'bad_topic' });
    expect(ingest.received).toEqual({ total: 3, accepted: 0 });
  });

  it('refuses and counts telemetry, latency and events from a node that has sent no birth; lists no such node', () => {
    const { registry, ingest, changes } = setup();
    const early = BODIES.filter((x) => x.body === 'telemetry' || x.body === 'latency' || x.body === 'event');
    for (const b of early) {
      expect(ingest.handle(topic('ghost', b.body), encode(envelope(b, { nodeId: 'ghost' })))).toMatchObject({ ok: false, reason: 'no_birth' });
    }
    expect(ingest.rejected.get('no_birth')).toBe(early.length);
    expect(registry.get('ghost')).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(changes).toEqual([]);
    // once born, the same channels are accepted
    expect(ingest.handle(topic('ghost', 'birth'), encode(envelope({ body: 'birth', birth: birth() }, { nodeId: 'ghost' }))).ok).toBe(true);
    expect(ingest.handle(topic('ghost', 'telemetry'), encode(envelope(BODIES[2]!, { nodeId: 'ghost' }))).ok).toBe(true);
  });

  it('holds a retained state and bench delivered before the birth, and applies them after it', () => {
    const { registry, ingest, changes } = setup();
    const bench = BODIES.find((b) => b.body === 'bench')!;
    // The retained Last Will of the session the birth belongs to: the node is gone.
    const will = envelope({ body: 'state', state: { status: 'OFFLINE' } }, { sessionId: 's-1', seq: 0 });
    expect(ingest.handle(topic('node-a', 'state'), encode(will))).toMatchObject({ ok: false, reason: 'no_birth', held: true });
    expect(ingest.handle(topic('node-a', 'bench'), encode(envelope(bench, { sessionId: 's-1', seq: 3 })))).toMatchObject({ held: true });
    expect(registry.get('node-a')).toBeUndefined();
    expect(ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth() }, { sessionId: 's-1', seq: 1 }))).ok).toBe(true);
    expect(registry.get('node-a')).toMatchObject({ status: 'offline', statusReason: 'will' });
    expect(registry.get('node-a')!.bench).not.toBeNull();
    expect(changes).toEqual(['node-a:online:birth', 'node-a:offline:will']);
    expect(ingest.rejected.get('no_birth')).toBeUndefined();
  });

  it('turns a node OFFLINE on its Last Will, but ignores a will from an older session', () => {
    const { registry, ingest } = setup();
    ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth() }, { sessionId: 's-new', seq: 1 })));
    const stale = envelope({ body: 'state', state: { status: 'OFFLINE' } }, { sessionId: 's-old', seq: 0 });
    expect(ingest.handle(topic('node-a', 'state'), encode(stale))).toMatchObject({ ok: false, reason: 'stale_will' });
    expect(registry.get('node-a')!.status).toBe('online');
    const will = envelope({ body: 'state', state: { status: 'OFFLINE' } }, { sessionId: 's-new', seq: 0 });
    expect(ingest.handle(topic('node-a', 'state'), encode(will)).ok).toBe(true);
    expect(registry.get('node-a')).toMatchObject({ status: 'offline', statusReason: 'will' });
  });

  it('holds a mass silence (most of the fleet quiet at once) for 3 limits, then declares the still-silent offline', () => {
    const now = { t: 1000 };
    const held: number[] = [];
    const registry = new Registry({ clock: () => now.t, minSilentMs: 3000, onMassSilence: (n) => held.push(n) });
    const ingest = new Ingest(ROOT, registry);
    const ids = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
    for (const id of ids) ingest.handle(topic(id, 'birth'), encode(envelope({ body: 'birth', birth: birth({ telemetryIntervalMs: 2000 }) }, { nodeId: id })));
    // 10 of 40 keep talking: 30 silent is 75 % of the online fleet, past the 50 % share.
    const talk = () => {
      for (const id of ids.slice(30)) ingest.handle(topic(id, 'telemetry'), encode(envelope(BODIES[2]!, { nodeId: id, seq: now.t })));
    };
    now.t += 7000;
    talk();
    expect(registry.sweep()).toBe(0);
    expect(held).toEqual([30]);
    expect(registry.heldSilent).toBe(30);
    // Within 3 limits (18 s) a late backlog brings them back with nothing lost.
    now.t += 6000;
    talk();
    for (const id of ids.slice(0, 5)) ingest.handle(topic(id, 'telemetry'), encode(envelope(BODIES[2]!, { nodeId: id, seq: now.t })));
    expect(registry.sweep()).toBe(0);
    expect(ids.every((id) => registry.get(id)!.status === 'online')).toBe(true);
    // Past 3 limits the still-silent go, mass or not.
    now.t += 6000;
    talk();
    expect(registry.sweep()).toBe(25);
    expect(registry.get('node-00')).toMatchObject({ status: 'online' });
    expect(registry.get('node-05')).toMatchObject({ status: 'offline', statusReason: 'silent' });
  });

  it('declares a few silent nodes offline at once: only a mass silence is held', () => {
    const now = { t: 1000 };
    const registry = new Registry({ clock: () => now.t, minSilentMs: 3000 });
    const ingest = new Ingest(ROOT, registry);
    const ids = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
    for (const id of ids) ingest.handle(topic(id, 'birth'), encode(envelope({ body: 'birth', birth: birth({ telemetryIntervalMs: 2000 }) }, { nodeId: id })));
    now.t += 7000;
    // 19 silent: under the 20-node minimum, though half the fleet.
    for (const id of ids.slice(19)) ingest.handle(topic(id, 'telemetry'), encode(envelope(BODIES[2]!, { nodeId: id, seq: now.t })));
    expect(registry.sweep()).toBe(19);
    expect(registry.heldSilent).toBe(0);
  });

  it('declares a silent node offline after its telemetry timeout', () => {
    const { registry, ingest, now } = setup();
    ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth({ telemetryIntervalMs: 2000 }) })));
    now.t += 5999;
    expect(registry.sweep()).toBe(0);
    now.t += 2;
    expect(registry.sweep()).toBe(1);
    expect(registry.get('node-a')).toMatchObject({ status: 'offline', statusReason: 'silent' });
    ingest.handle(topic('node-a', 'telemetry'), encode(envelope(BODIES[2]!)));
    expect(registry.get('node-a')!.status).toBe('online');
  });

  it('feeds the latency model: where a node and its site stand (before it is announced online), and the RTTs it measured', () => {
    const latency = new LatencyModel();
    const registry = new Registry({ onChange: (c) => seenAtOnline.push(latency.has(c.node.id)) });
    const seenAtOnline: boolean[] = [];
    const ingest = new Ingest(ROOT, registry, undefined, {}, latency);
    const location = { lat: 26.08, lon: 119.3, site: 'fz-gulou-exchange-1', district: 'gulou', siteKind: 'trading-venue' };
    expect(ingest.handle(topic('node-a', 'birth'), encode(envelope({ body: 'birth', birth: birth({ location }) }))).ok).toBe(true);
    expect(seenAtOnline).toEqual([true]);
    expect(latency.estimateTo('node-a', { site: 'fz-gulou-exchange-1' })).toBeDefined();
    ingest.handle(topic('node-b', 'birth'), encode(envelope({ body: 'birth', birth: birth({ location: { ...location, lat: 26.2 } }) }, { nodeId: 'node-b' })));
    const rtt = (target: string, targetKind: 'peer' | 'landmark', p50Ms: number, received = 10) => ({ target, targetKind, p50Ms, p90Ms: p50Ms, p99Ms: p50Ms, jitterMs: 0, loss: 0, sent: 10, received, minMs: p50Ms });
    const report = { windowMs: 60_000, targets: [rtt('node-b', 'peer', 3.5), rtt('gone', 'peer', 1, 0)] };
    expect(ingest.handle(topic('node-a', 'latency'), encode(envelope({ body: 'latency', latency: report }))).ok).toBe(true);
    expect(latency.estimate('node-a', 'node-b')).toMatchObject({ rttMs: 3.5, measured: true });
    // a target that never answered is no sample
    expect(latency.has('gone')).toBe(false);
  });
});
