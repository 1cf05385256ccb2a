// Hostile JSON bodies at the API: refused with a 400 that names what is refused, never a 5xx, never
// silently reinterpreted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { parseJsonBody } from '../../orchestrator/api/json-body.ts';
import { quietLog } from '../helpers/quiet-log.ts';

const spec = (needs = '{"accelerators":1}') =>
  `{"name":"w","tenant":"t","class":"batch","run":{"runner":"simulated","durationMs":1000},"needs":${needs}}`;

describe('JSON bodies at the API', () => {
  let orch: Orchestrator;
  const post = async (body: string) => {
    const res = await fetch(`${orch.httpUrl}/v1/workloads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as { error: string; message: string; id?: string } };
  };

  beforeAll(async () => {
    orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, peerProbes: false });
  });
  afterAll(async () => {
    await orch?.stop();
  });

  it('refuses a __proto__ key, saying that key is refused', async () => {
    const r = await post(`{"__proto__":{"admin":true},${spec().slice(1)}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'refused_key' });
    expect(r.body.message).toMatch(/"__proto__" \(at \/__proto__\) is refused/);
    const nested = await post(spec('{"accelerators":1,"constructor":{"prototype":{"x":1}}}'));
    expect(nested.status).toBe(400);
    expect(nested.body.message).toMatch(/constructor\.prototype.*\/needs\/constructor\/prototype.*refused/);
  });

  it('refuses duplicate keys, naming the key and where', async () => {
    const top = await post(`{"name":"first",${spec().slice(1)}`);
    expect(top).toMatchObject({ status: 400, body: { error: 'duplicate_key' } });
    expect(top.body.message).toContain('"name" appears twice in the body');
    const deep = await post(spec('{"accelerators":1,"accelerators":8}'));
    expect(deep.status).toBe(400);
    expect(deep.body.message).toContain('"accelerators" appears twice in /needs');
    expect(orch.workloads.list()).toHaveLength(0);
  });

  it('normalises needs.accelerators -0 to 0', async () => {
    const r = await post(spec('{"accelerators":-0}'));
    expect(r.status).toBe(201);
    expect(Object.is(orch.workloads.get(r.body.id!)!.spec.needs.accelerators, 0)).toBe(true);
  });

  it('answers 400 for syntax errors and absurd nesting, 413 above the body limit', async () => {
    expect((await post('{"name":')).body).toMatchObject({ error: 'invalid_json' });
    expect((await post('')).status).toBe(400);
    expect((await post('['.repeat(100_000) + ']'.repeat(100_000))).status).toBe(400);
    expect((await post(`{"name":"${'x'.repeat(300 * 1024)}"}`)).status).toBe(413);
  });
});

describe('parseJsonBody', () => {
  it('tells keys from string values, escapes included', () => {
    expect(parseJsonBody('{"a":"a","b":["a","a"],"c":{"a":1},"d\\"":"\\"d\\""}')).toEqual({ a: 'a', b: ['a', 'a'], c: { a: 1 }, 'd"': '"d"' });
    expect(() => parseJsonBody('{"x":[{"k":1},{"k":1,"\\u006b":2}]}')).toThrow(/"k" appears twice in \/x\/1/);
    expect(() => parseJsonBody('{"__pro\\u0074o__":1}')).toThrow(/__proto__/);
    expect((parseJsonBody('[-0, -0.0, 0]') as number[]).every((n) => Object.is(n, 0))).toBe(true);
  });
});
