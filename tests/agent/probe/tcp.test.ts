import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHostPort, probeTcp, probeTcpTargets } from '../../../agent/probe/tcp.ts';
import { probe } from '../../../agent/probe/runner.ts';

let server: Server;
let openPort = 0;
let closedPort = 0;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
}

beforeAll(async () => {
  server = createServer((sock) => sock.destroy());
  openPort = await listen(server);
  // A port that was just free and is closed again: connects are refused.
  const tmp = createServer();
  closedPort = await listen(tmp);
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('parseHostPort', () => {
  it('parses names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('mqtt.example:8883')).toEqual({ host: 'mqtt.example', port: 8883 });
    expect(parseHostPort('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
  });
  it('rejects what is not host:port', () => {
    expect(() => parseHostPort('example.org')).toThrow(/not host:port/);
    expect(() => parseHostPort('h:0')).toThrow(/port 1..65535/);
    expect(() => parseHostPort('::1:80')).toThrow(/IPv6 as \[addr\]:port/);
  });
});

describe('probeTcp on loopback', () => {
  it('measures connect RTTs to a listening port with no loss', async () => {
    const s = await probeTcp(`127.0.0.1:${openPort}`, 'landmark', { count: 5, intervalMs: 10, timeoutMs: 1000 });
    expect(s.sent).toBe(5);
    expect(s.received).toBe(5);
    expect(s.loss).toBe(0);
    expect(s.p50Ms).toBeGreaterThan(0);
    expect(s.p99Ms).toBeGreaterThanOrEqual(s.p50Ms);
    expect(s.minMs).toBeLessThanOrEqual(s.p50Ms);
  });

  it('counts a refused port as loss', async () => {
    const errors: string[] = [];
    const s = await probeTcp(`127.0.0.1:${closedPort}`, 'peer', {
      count: 3,
      intervalMs: 10,
      timeoutMs: 500,
      onSample: (_rtt, err) => errors.push(err ?? ''),
    });
    expect(s).toMatchObject({ sent: 3, received: 0, loss: 1, targetKind: 'peer' });
    expect(errors.every((e) => /ECONNREFUSED/.test(e))).toBe(true);
  });

  it('probes several targets in turn, each under its own name', async () => {
    const out = await probeTcpTargets(
      [
        { hostPort: `127.0.0.1:${openPort}`, kind: 'landmark', name: 'local-open' },
        { hostPort: `127.0.0.1:${closedPort}`, kind: 'peer' },
      ],
      { count: 2, intervalMs: 10, timeoutMs: 500 },
    );
    expect(out.map((s) => [s.target, s.loss])).toEqual([
      ['local-open', 0],
      [`127.0.0.1:${closedPort}`, 1],
    ]);
  });
});

describe('probe runner', () => {
  it('times out a hanging rttOnce and counts it as lost', async () => {
    let calls = 0;
    const s = await probe({
      target: 'orch',
      targetKind: 'orchestrator',
      count: 4,
      intervalMs: 10,
      timeoutMs: 50,
      rttOnce: (signal) => {
        calls++;
        if (calls % 2 === 0) return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
        return Promise.resolve(calls);
      },
    });
    expect(s).toMatchObject({ sent: 4, received: 2, loss: 0.5, p50Ms: 2, minMs: 1 });
  });

  it('stops when the caller aborts', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const run = probe({
      target: 'orch',
      targetKind: 'orchestrator',
      count: 1000,
      intervalMs: 10,
      rttOnce: async () => {
        if (++calls === 3) ctl.abort();
        return 1;
      },
      signal: ctl.signal,
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(calls).toBe(3);
  });

  it('enforces the count and rate bounds', async () => {
    const rttOnce = async () => 1;
    await expect(probe({ target: 't', targetKind: 'peer', rttOnce, count: 0 })).rejects.toThrow(RangeError);
    await expect(probe({ target: 't', targetKind: 'peer', rttOnce, count: 5000 })).rejects.toThrow(RangeError);
    await expect(probe({ target: 't', targetKind: 'peer', rttOnce, intervalMs: 1 })).rejects.toThrow(/rate limit/);
  });
});
