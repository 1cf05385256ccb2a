// The ordered report path: straight out while the link is up, into the outbox when it is not or
// a publish fails, replayed in order (re-stamped, same msg_id) before anything newer.
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from '../../protocol/codec.ts';
import type { Envelope } from '../../protocol/messages.ts';
import { EnvelopeFactory } from '../../agent/envelopes.ts';
import { Outbox } from '../../agent/outbox.ts';
import { ReportPipeline } from '../../agent/report-pipeline.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempDir } from './harness.ts';

class FakeSink {
  ready = true;
  failNext = 0;
  readonly sent: Envelope[] = [];
  async publish(_topic: string, payload: Uint8Array): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    if (!this.ready || this.failNext-- > 0) throw new Error('not connected');
    const d = decode(payload);
    if (!d.ok) throw new Error(d.error.detail);
    this.sent.push(d.envelope);
  }
}

describe('ReportPipeline', () => {
  const dirs: (() => void)[] = [];
  afterEach(() => dirs.splice(0).forEach((r) => r()));

  function setup() {
    const t = tempDir('banyan-pipeline-');
    dirs.push(t.remove);
    const outbox = new Outbox({ dir: t.dir, maxBytes: 1 << 20 });
    const envelopes = new EnvelopeFactory('n1');
    const sink = new FakeSink();
    const pipeline = new ReportPipeline({ outbox, envelopes, sink, retained: new Set(['bench']) });
    let n = 0;
    const submit = () => {
      const env = envelopes.next({ body: 'event', event: { correlationId: `c${++n}`, kind: 'pong', pong: String(n) } });
      pipeline.submit({ channel: 'event', topic: 'r/s/n1/event', payload: encode(env), kind: 'event' });
      return env;
    };
    return { outbox, envelopes, sink, pipeline, submit };
  }

  const pongs = (xs: Envelope[]) => xs.map((e) => (e.body === 'event' && e.event.kind === 'pong' ? e.event.pong : '?'));

  it('stores while offline and replays in order before newer reports, keeping msg_id, with fresh seqs', async () => {
    const { outbox, envelopes, sink, pipeline, submit } = setup();
    sink.ready = false;
    const offline = [submit(), submit(), submit()];
    expect(outbox.size().items).toBe(3);
    sink.ready = true;
    envelopes.next({ body: 'state', state: { status: 'ONLINE' } }); // the birth/state of the new connection
    pipeline.kick();
    submit(); // produced during the drain: behind the stored ones
    submit();
    await waitFor('5 sent', () => sink.sent.length === 5);
    expect(pongs(sink.sent)).toEqual(['1', '2', '3', '4', '5']);
    expect(sink.sent.slice(0, 3).map((e) => e.msgId)).toEqual(offline.map((e) => e.msgId));
    const seqs = sink.sent.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(seqs[0]).toBeGreaterThan(offline[2]!.seq + 1);
    expect(outbox.size().items).toBe(0);
    expect(pipeline.stats().produced.event).toBe(5);
  });

  it('moves a failed publish and everything queued behind it to the outbox, in order', async () => {
    const { outbox, sink, pipeline, submit } = setup();
    sink.failNext = 1;
    submit();
    submit();
    submit();
    await pipeline.idle();
    expect(sink.sent).toHaveLength(0);
    expect(outbox.size().items).toBe(3);
    pipeline.kick();
    await waitFor('3 sent', () => sink.sent.length === 3);
    expect(pongs(sink.sent)).toEqual(['1', '2', '3']);
  });

  it('sends straight out without touching the outbox while the link is up', async () => {
    const { outbox, sink, pipeline, submit } = setup();
    submit();
    submit();
    await waitFor('2 sent', () => sink.sent.length === 2);
    expect(outbox.stats().stored).toBe(0);
    expect(pipeline.stats().sentDirect.event).toBe(2);
  });
});
