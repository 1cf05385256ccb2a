// The in-process transport keeps the broker semantics the protocol relies on: retained births for
// a late subscriber, the Last Will on a dropped connection (not on a clean close), identity per
// client, clean sessions, and every connection dropped by a broker restart.
import { describe, expect, it } from 'vitest';
import { InProcessHub } from '../../../simulators/fleet/transport-inproc.ts';
import type { LinkOptions } from '../../../simulators/fleet/transport.ts';
import { waitFor } from '../../helpers/wait.ts';

const ROOT = 'banyan/v1';
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function opts(node: string): LinkOptions {
  return { url: 'mqtt://unused:1883', clientId: node, reconnectMinMs: 10, reconnectMaxMs: 20, will: () => ({ topic: `${ROOT}/s1/${node}/state`, payload: bytes(`will:${node}`) }) };
}

async function connected(hub: InProcessHub, node: string) {
  const link = hub.link(opts(node));
  const up = new Promise<void>((r) => link.once('up', () => r()));
  link.open();
  await up;
  return link;
}

describe('InProcessHub', () => {
  it('delivers retained births to an orchestrator that subscribes later, with the publisher identity', async () => {
    const hub = new InProcessHub(ROOT);
    const a = await connected(hub, 'n1');
    await a.publish(`${ROOT}/s1/n1/birth`, bytes('birth-1'), 1, true);
    await a.publish(`${ROOT}/s1/n1/telemetry`, bytes('t-1'), 0, false);
    const got: [string, string, string | undefined][] = [];
    await hub.bus().open((topic, payload, clientId) => got.push([topic, text(payload), clientId]));
    expect(got).toEqual([[`${ROOT}/s1/n1/birth`, 'birth-1', 'n1']]);
    // The telemetry went out while nobody subscribed: gone, and counted.
    expect(hub.stats.noSubscriber).toBe(1);
  });

  it('fires the Last Will on sever, not on a clean close', async () => {
    const hub = new InProcessHub(ROOT);
    const got: string[] = [];
    await hub.bus().open((_t, p) => got.push(text(p)));
    const a = await connected(hub, 'n1');
    const b = await connected(hub, 'n2');
    a.sever();
    await b.close();
    await waitFor('the will', () => got.length > 0);
    expect(got).toEqual(['will:n1']);
    expect(hub.stats.wills).toBe(1);
  });

  it('sends commands only to connected subscribers (clean session) and drops the rest', async () => {
    const hub = new InProcessHub(ROOT);
    const bus = hub.bus();
    await bus.open(() => undefined);
    const a = await connected(hub, 'n1');
    a.subscribe(`${ROOT}/s1/n1/cmd`);
    const got: string[] = [];
    a.on('message', (_t, p) => got.push(text(p)));
    await bus.publish(`${ROOT}/s1/n1/cmd`, bytes('run'), 1, false);
    await bus.publish(`${ROOT}/s1/absent/cmd`, bytes('run'), 1, false);
    await waitFor('the command', () => got.length > 0);
    expect(got).toEqual(['run']);
    expect(hub.stats.commandsDropped).toBe(1);
  });

  it('drops every connection on a broker restart (no wills, retained gone) and lets links reconnect', async () => {
    const hub = new InProcessHub(ROOT);
    const a = await connected(hub, 'n1');
    await a.publish(`${ROOT}/s1/n1/birth`, bytes('b'), 1, true);
    const downs: string[] = [];
    a.on('down', (r) => downs.push(r));
    const back = new Promise<void>((r) => a.once('up', () => r()));
    await hub.restart(30);
    expect(downs).toEqual(['broker restarted']);
    await expect(a.publish(`${ROOT}/s1/n1/telemetry`, bytes('x'), 0)).rejects.toThrow(/not connected/);
    await back;
    expect(a.connected).toBe(true);
    const got: string[] = [];
    await hub.bus().open((t) => got.push(t));
    expect(got).toEqual([]);
    expect(hub.stats.wills).toBe(0);
    await a.close();
  });
});
