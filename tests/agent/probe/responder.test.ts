// The peer-probe responder and prober on loopback, with real UDP sockets. "No reply" is proven
// without timing: a well-formed probe sent after the others, from a source with its own bucket
// (127.0.0.2), is answered only once everything sent before it has been handled.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { advertisedProbeAddress, probeUdpPeers, TokenBucket, UdpProbeResponder } from '../../../agent/probe/index.ts';
import { decodeProbeDatagram, encodeProbeDatagram, type ProbeDatagram } from '../../../protocol/probe-datagram.ts';
import { waitFor } from '../../helpers/wait.ts';

const open: (UdpProbeResponder | Socket)[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof UdpProbeResponder) await x.close();
    else x.close();
  }
});

async function responder(o: Partial<ConstructorParameters<typeof UdpProbeResponder>[0]> = {}): Promise<{ r: UdpProbeResponder; address: string }> {
  const r = new UdpProbeResponder({ nodeId: 'node-r', bindHost: '127.0.0.1', port: 0, advertise: '', ...o });
  open.push(r);
  return { r, address: await r.start() };
}

/** A raw client bound to `host`, keeping every decoded reply (and counting undecodable ones). */
async function client(host = '127.0.0.1') {
  const s = createSocket('udp4');
  open.push(s);
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const replies: (ProbeDatagram | null)[] = [];
  s.on('message', (m) => replies.push(decodeProbeDatagram(m)));
  const send = (b: Buffer, port: number) => new Promise<void>((res, rej) => s.send(b, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  return { s, replies, send };
}

const request = (nodeId = 'node-r', nonce = randomBytes(8)) => encodeProbeDatagram({ type: 'request', nonce, nodeId });

/**
 * Waits until the responder has handled everything sent to it (its counters stop moving while
 * the event loop polls its socket; a flood may also have lost some datagrams in the kernel), then
 * sends one probe from 127.0.0.2 (its own bucket) and waits for its echo.
 */
async function barrier(r: UdpProbeResponder, beforeProbe: () => void = () => undefined): Promise<void> {
  const handled = () => Object.values(r.stats).reduce((a, b) => a + b, 0);
  let last = -1;
  await waitFor('the responder idle', () => {
    const now = handled();
    const idle = now === last;
    last = now;
    return idle;
  }, 20_000, 100);
  beforeProbe();
  const b = await client('127.0.0.2');
  await b.send(request(), r.port);
  await waitFor('the barrier echo', () => b.replies.length > 0);
}

/**
 * After a barrier the count must reach `expected` (the client may read its socket after the
 * barrier's), and after a second barrier it must still be exactly that: no late extra replies.
 */
async function settled(r: UdpProbeResponder, count: () => number, expected: number): Promise<void> {
  await barrier(r);
  await waitFor(`${expected} replies`, () => count() >= expected);
  await barrier(r);
  expect(count()).toBe(expected);
}

describe('UdpProbeResponder', () => {
  it('echoes a probe with its nonce and its node id, and advertises the bound address', async () => {
    const { r, address } = await responder();
    expect(address).toBe(`127.0.0.1:${r.port}`);
    const c = await client();
    const nonce = randomBytes(8);
    await c.send(request('node-r', nonce), r.port);
    await c.send(request('', randomBytes(8)), r.port); // a probe naming no node is answered too
    await waitFor('two echoes', () => c.replies.length === 2);
    expect(c.replies[0]).toEqual({ type: 'reply', nonce, nodeId: 'node-r' });
    expect(r.stats).toMatchObject({ answered: 2, malformed: 0 });
  });

  it('ignores garbage and probes for another node: no reply, counted', async () => {
    const { r } = await responder();
    const c = await client();
    const reply = encodeProbeDatagram({ type: 'reply', nonce: randomBytes(8), nodeId: 'node-r' });
    const wrongMagic = Buffer.from(request());
    wrongMagic[0] = 0;
    for (const g of [Buffer.from('hello'), randomBytes(80), randomBytes(1200), Buffer.alloc(80), wrongMagic, reply, request().subarray(0, 79)]) await c.send(g, r.port);
    await c.send(request('node-other'), r.port);
    await barrier(r);
    expect(c.replies).toEqual([]);
    expect(r.stats).toMatchObject({ answered: 1, malformed: 7, misaddressed: 1 });
  });

  it('holds its per-source limit under a flood of 10k probes, and refills at its rate', async () => {
    let now = 0;
    const { r } = await responder({ perSourceRate: 20, perSourceBurst: 40, now: () => now });
    const c = await client();
    const burst = request();
    for (let i = 0; i < 10_000; i++) await c.send(burst, r.port);
    await settled(r, () => c.replies.length, 40);
    // Some of the 10k may be dropped by the kernel's receive buffer; none beyond the limit got a reply.
    expect(r.stats.limitedSource).toBeGreaterThan(0);
    expect(r.stats.limitedSource).toBeLessThanOrEqual(10_000 - 40);
    now += 1000;
    for (let i = 0; i < 100; i++) await c.send(burst, r.port);
    await settled(r, () => c.replies.length, 40 + 20);
  }, 30_000);

  it('holds its global limit across sources', async () => {
    let now = 0;
    const { r } = await responder({ perSourceBurst: 1000, globalRate: 10, globalBurst: 25, now: () => now });
    const a = await client('127.0.0.3');
    const b = await client('127.0.0.4');
    for (let i = 0; i < 500; i++) {
      await a.send(request(), r.port);
      await b.send(request(), r.port);
    }
    // The global bucket is empty: one more token, for the barrier, once the flood is handled.
    await barrier(r, () => (now += 100));
    await waitFor('25 replies at the clients', () => a.replies.length + b.replies.length === 25);
    expect(r.stats.limitedGlobal).toBeGreaterThan(0);
  }, 30_000);

  it('says what to do when its port is taken', async () => {
    const { r } = await responder();
    const second = new UdpProbeResponder({ nodeId: 'node-r', bindHost: '127.0.0.1', port: r.port, advertise: '' });
    await expect(second.start()).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is taken; set probePort/);
  });
});

describe('advertised probe address', () => {
  const nics = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '10.20.0.7', family: 'IPv4', internal: false },
    ],
  } as unknown as Parameters<typeof advertisedProbeAddress>[1];

  it('takes the configured one, then a one-address bind, then the first non-loopback IPv4, else none', () => {
    expect(advertisedProbeAddress({ bindHost: '0.0.0.0', port: 7947, advertise: 'edge-7.example' }, nics)).toBe('edge-7.example:7947');
    expect(advertisedProbeAddress({ bindHost: '0.0.0.0', port: 7947, advertise: '203.0.113.9:17947' }, nics)).toBe('203.0.113.9:17947');
    expect(advertisedProbeAddress({ bindHost: '10.20.0.8', port: 7947, advertise: '' }, nics)).toBe('10.20.0.8:7947');
    expect(advertisedProbeAddress({ bindHost: '0.0.0.0', port: 7947, advertise: '' }, nics)).toBe('10.20.0.7:7947');
    expect(advertisedProbeAddress({ bindHost: '0.0.0.0', port: 7947, advertise: '' }, { lo: nics!.lo })).toBe('');
  });
});

describe('TokenBucket', () => {
  it('spends its burst, then refills at its rate up to the burst', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect([1, 2, 3, 4].map(() => b.take(60_000))).toEqual([true, true, true, false]);
  });
});

describe('probeUdpPeers', () => {
  it('measures the RTT to a real responder and reports it under the peer node id', async () => {
    const { address } = await responder();
    const [s] = await probeUdpPeers([{ nodeId: 'node-r', address }], { count: 5, intervalMs: 10, timeoutMs: 1000 });
    expect(s).toMatchObject({ target: 'node-r', targetKind: 'peer', sent: 5, received: 5, loss: 0 });
    expect(s!.p50Ms).toBeGreaterThan(0);
    expect(s!.p50Ms).toBeLessThan(1000);
  });

  it('counts as loss a silent port, and a responder that is another node, within bounded timeouts', async () => {
    const { address } = await responder();
    const silent = await client();
    const silentAddress = `127.0.0.1:${silent.s.address().port}`;
    const errors: string[] = [];
    const started = performance.now();
    const [dead, wrong] = await probeUdpPeers(
      [
        { nodeId: 'node-x', address: silentAddress },
        { nodeId: 'node-x', address },
      ],
      { count: 3, intervalMs: 10, timeoutMs: 100, onSample: (_r, e) => e && errors.push(e) },
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(dead).toMatchObject({ target: 'node-x', received: 0, loss: 1 });
    expect(wrong).toMatchObject({ target: 'node-x', received: 0, loss: 1 });
    expect(errors).toHaveLength(6);
  });
});
