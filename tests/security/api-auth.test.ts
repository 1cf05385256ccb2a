// The API's bearer tokens on the real orchestrator and its real routes: every role against every
// write route, 401 vs 403, body limits, write rate limits, open mode, and random bodies (4xx only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Fastify from 'fastify';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { authPlugin, issueApiToken, parseTokenLines, type ApiToken, type Role } from '../../orchestrator/api/auth.ts';
import { quietLog } from '../helpers/quiet-log.ts';

const issued = Object.fromEntries((['viewer', 'operator', 'admin'] as const).map((role) => [role, issueApiToken(`${role}-1`, role)])) as Record<
  Role,
  { token: string; line: string }
>;
const tokens: ApiToken[] = parseTokenLines(Object.values(issued).map((i) => i.line).join('\n'), 'test tokens');
const bearer = (role: Role) => ({ authorization: `Bearer ${issued[role].token}` });

const WRITES = [
  { method: 'POST' as const, url: '/v1/workloads', payload: { name: 'x' } },
  { method: 'DELETE' as const, url: '/v1/workloads/w-unknown' },
  { method: 'POST' as const, url: '/v1/workloads/w-unknown/move', payload: { to: 'node-1' } },
];
const READS = ['/v1/nodes', '/v1/fleet/summary', '/v1/workloads'];

describe('API auth on the orchestrator', () => {
  let orch: Orchestrator;
  let clock = 1_000_000;
  const warnings: string[] = [];

  beforeAll(async () => {
    orch = await Orchestrator.start({
      mqttPort: 0,
      httpPort: 0,
      dataDir: null,
      log: quietLog,
      plugins: [(app) => authPlugin(app, { tokens, writesPerMinute: 1000, maxBodyBytes: 16 * 1024, now: () => clock, log: { warn: (_o, m) => warnings.push(m) } })],
    });
  });
  afterAll(async () => {
    await orch?.stop();
  });

  it.each(WRITES)('$method $url: 401 without or with a bad token, 403 for a viewer, served for operator and admin', async (w) => {
    const send = (headers: Record<string, string>) => orch.api.inject({ ...w, headers });
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: issued.operator.token }, { authorization: `Basic ${issued.admin.token}` }]) {
      const r = await send(headers);
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const forbidden = await send(bearer('viewer'));
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().message).toContain('needs operator');
    for (const role of ['operator', 'admin'] as const) {
      const r = await send(bearer(role));
      expect(r.statusCode, role).toBeGreaterThanOrEqual(200);
      expect([401, 403, 429]).not.toContain(r.statusCode);
      expect(r.statusCode).toBeLessThan(500);
    }
  });

  it('serves reads to every role, refuses them without a token, and keeps /healthz public', async () => {
    for (const url of READS) {
      expect((await orch.api.inject({ url })).statusCode).toBe(401);
      for (const role of ['viewer', 'operator', 'admin'] as const) expect((await orch.api.inject({ url, headers: bearer(role) })).statusCode, `${role} ${url}`).toBe(200);
    }
    expect((await orch.api.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('never echoes a token in a response', async () => {
    const r = await orch.api.inject({ method: 'POST', url: '/v1/workloads', headers: bearer('viewer'), payload: {} });
    expect(r.body).not.toContain(issued.viewer.token);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    const r = await orch.api.inject({ method: 'POST', url: '/v1/workloads', headers: { ...bearer('operator'), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(20_000) }) });
    expect(r.statusCode).toBe(413);
  });

  it('answers random bodies with 4xx, never 5xx, and stays up', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => ({ type: 'application/json', data: JSON.stringify(v) ?? 'null' })),
      fc.string().map((s) => ({ type: 'application/json', data: s })),
      fc.uint8Array({ maxLength: 512 }).map((b) => ({ type: 'application/octet-stream', data: Buffer.from(b) })),
      fc.string().map((s) => ({ type: 'text/plain', data: s })),
    );
    const route = fc.constantFrom('/v1/workloads', '/v1/workloads/w-1/move');
    await fc.assert(
      fc.asyncProperty(route, body, async (url, b) => {
        const r = await orch.api.inject({ method: 'POST', url, headers: { ...bearer('operator'), 'content-type': b.type }, payload: b.data });
        return r.statusCode >= 400 && r.statusCode < 500;
      }),
      { numRuns: 300, seed: 9 },
    );
    expect((await orch.api.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('logs no warning about an open API when tokens are configured', () => {
    expect(warnings).toEqual([]);
  });
});

describe('write rate limit and open mode', () => {
  it('gives each caller a burst of writes, then 429 with Retry-After, refilled by the clock', async () => {
    let now = 0;
    const app = Fastify();
    authPlugin(app, { tokens, writesPerMinute: 3, now: () => now });
    app.post('/v1/workloads', { config: { role: 'operator' } }, async () => ({ ok: true }));
    const post = (role: Role) => app.inject({ method: 'POST', url: '/v1/workloads', headers: bearer(role), payload: {} });
    expect([(await post('operator')).statusCode, (await post('operator')).statusCode, (await post('operator')).statusCode]).toEqual([200, 200, 200]);
    const limited = await post('operator');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBe(20);
    expect((await post('admin')).statusCode).toBe(200);
    now += 20_000;
    expect((await post('operator')).statusCode).toBe(200);
    await app.close();
  });

  it('with no tokens stays open, warns once, and still limits writes', async () => {
    const warned: string[] = [];
    const app = Fastify();
    authPlugin(app, { tokens: [], writesPerMinute: 1, now: () => 0, log: { warn: (_o, m) => warned.push(m) } });
    app.get('/v1/nodes', async () => ({ nodes: [] }));
    app.post('/v1/workloads', { config: { role: 'operator' } }, async () => ({ ok: true }));
    expect((await app.inject({ url: '/v1/nodes' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/workloads', payload: {} })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/workloads', payload: {} })).statusCode).toBe(429);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/open/);
    await app.close();
  });

  it('needs admin for a write route that declares no role', async () => {
    const app = Fastify();
    authPlugin(app, { tokens });
    app.post('/v1/admin/thing', async () => ({ ok: true }));
    expect((await app.inject({ method: 'POST', url: '/v1/admin/thing', headers: bearer('operator') })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/admin/thing', headers: bearer('admin') })).statusCode).toBe(200);
    await app.close();
  });
});
