// A fuzz campaign against a real orchestrator with its embedded broker, in a process of its own
// (so a crash is seen as one, and its RSS is its own): mutated envelopes over real MQTT (valid
// ones bit-flipped, truncated, extended, given another body, another node, random bytes), then
// mutated JSON bodies at POST /v1/workloads. What must hold: no crash, no 5xx, nothing accepted
// that the rules reject. The oracle for envelopes is the codec plus the topic rules, run here on
// every payload before it is sent: a mutant that still decodes to a valid envelope for its topic
// (a flipped bit inside a number, say) is valid, and counted as such.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { decode, encode } from '../protocol/codec.ts';
import type { Body } from '../protocol/messages.ts';
import { BODIES, birth, envelope } from '../tests/helpers/envelopes.ts';
import { effectiveBudgetMs, type Figure } from './figures.ts';

export const budgetMs = 150_000;
const ROLE = 'BANYAN_FUZZ_ROLE';
const ROOT = 'banyan/v1';
const ENVELOPES = Number(process.env.BANYAN_FUZZ_ENVELOPES ?? 100_000);
const BODIES_HTTP = Number(process.env.BANYAN_FUZZ_BODIES ?? 10_000);
const NODES = 20;
const IN_FLIGHT = 256;

type Stats = { kind: 'stats'; rssMb: number; received: number; accepted: number; nodes: number; refused: number; refusedBy: string; uncaught: number };
type Ready = { kind: 'ready'; mqttUrl: string; httpUrl: string; rssMb: number };

if (process.env[ROLE] === 'orchestrator') await orchestratorRole();

async function orchestratorRole(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  let uncaught = 0;
  // Counted, and the process keeps going, so the campaign sees every one.
  const count = (e: unknown) => {
    uncaught++;
    process.stderr.write(`fuzz: uncaught in the orchestrator: ${(e as Error)?.stack ?? String(e)}\n`);
  };
  process.on('uncaughtException', count);
  process.on('unhandledRejection', count);
  const { Orchestrator } = await import('../orchestrator/orchestrator.ts');
  const { metricsPlugin } = await import('../orchestrator/metrics.ts');
  const orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: pino({ level: 'silent' }), peerProbes: false, persistMs: 3_600_000, plugins: [metricsPlugin] });
  const rssMb = () => process.memoryUsage().rss / 2 ** 20;
  process.on('message', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const s: Stats = { kind: 'stats', rssMb: rssMb(), received: orch.ingest.received.total, accepted: orch.ingest.received.accepted, nodes: orch.registry.size, refused: orch.brokerRefusals.total, refusedBy: [...orch.brokerRefusals.counts].map(([k, v]) => `${k}=${v}`).join(' '), uncaught };
    process.send!(s);
  });
  process.send!({ kind: 'ready', mqttUrl: orch.mqttUrl, httpUrl: orch.httpUrl, rssMb: rssMb() } satisfies Ready);
}

/** xorshift32: the same campaign every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

type Mutation = 'bitflip' | 'truncate' | 'extend' | 'wrong_body' | 'wrong_node' | 'random' | 'empty';
const MUTATIONS: readonly Mutation[] = ['bitflip', 'bitflip', 'bitflip', 'truncate', 'extend', 'wrong_body', 'wrong_node', 'random', 'empty'];
const NODE_BODIES = BODIES.filter((b) => b.body !== 'cmd' && b.body !== 'birth');

function mutate(r: ReturnType<typeof rng>, node: string, seq: number): { channel: string; payload: Uint8Array } {
  const body: Body = r.pick(NODE_BODIES);
  const base = encode(envelope(body, { nodeId: node, seq, sessionId: `fuzz-${node}` }));
  const m = r.pick(MUTATIONS);
  const channel = body.body;
  switch (m) {
    case 'bitflip': {
      const p = Uint8Array.from(base);
      for (let i = 1 + r.int(8); i > 0; i--) p[r.int(p.length)]! ^= 1 << r.int(8);
      return { channel, payload: p };
    }
    case 'truncate':
      return { channel, payload: base.slice(0, r.int(base.length)) };
    case 'extend': {
      const extra = Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256));
      return { channel, payload: Uint8Array.from([...base, ...extra]) };
    }
    case 'wrong_body':
      return { channel: r.pick(NODE_BODIES.filter((b) => b.body !== channel)).body, payload: base };
    case 'wrong_node':
      return { channel, payload: encode(envelope(body, { nodeId: `${node}-other`, seq })) };
    case 'random':
      return { channel, payload: Uint8Array.from({ length: r.int(512) }, () => r.int(256)) };
    case 'empty':
      return { channel, payload: new Uint8Array() };
  }
}

/** The rules, applied here: decodes, and its body and node are the topic's. */
function validFor(node: string, channel: string, payload: Uint8Array): boolean {
  const d = decode(payload);
  return d.ok && d.envelope.body === channel && d.envelope.nodeId === node;
}

const SPEC = { name: 'fuzz', tenant: 't', class: 'batch', needs: { accelerators: 1 }, run: { runner: 'simulated', durationMs: 1000 } };

/** A mutated body and whether it is certainly invalid (then a 2xx would be accepting junk). */
function mutateBody(r: ReturnType<typeof rng>): { text: string; invalid: boolean } {
  const text = JSON.stringify(SPEC);
  switch (r.int(8)) {
    case 0: {
      const cut = text.slice(0, r.int(text.length));
      return { text: cut, invalid: true };
    }
    case 1:
      return { text: text.replace('{', `{"name":"dup",`), invalid: true };
    case 2:
      return { text: text.replace('{', r.next() < 0.5 ? '{"__proto__":{"x":1},' : '{"constructor":{"prototype":{"x":1}},'), invalid: true };
    case 3:
      return { text: '['.repeat(1 + r.int(20_000)), invalid: true };
    case 4: {
      const wrong = [null, 'x', -1, 1.5, [], {}, 1e308, true][r.int(8)];
      return { text: JSON.stringify({ ...SPEC, needs: { accelerators: wrong } }), invalid: true };
    }
    case 5: {
      const p = [...text];
      for (let i = 1 + r.int(4); i > 0; i--) p[r.int(p.length)] = String.fromCharCode(r.int(128));
      return { text: p.join(''), invalid: false };
    }
    case 6:
      return { text: JSON.stringify({ ...SPEC, [`k${r.int(1000)}`]: r.int(10) }), invalid: true };
    default:
      return { text: JSON.stringify({ ...SPEC, needs: { accelerators: -0 } }), invalid: false };
  }
}

export default async function fuzzBench(): Promise<Figure[]> {
  const deadline = Date.now() + effectiveBudgetMs(budgetMs) - 20_000;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, [ROLE]: 'orchestrator' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const messages: ((m: Ready | Stats) => void)[] = [];
  child.on('message', (m) => messages.shift()?.(m as Ready | Stats));
  const next = <T extends Ready | Stats>() => new Promise<T>((resolve) => messages.push(resolve as (m: Ready | Stats) => void));
  const stats = () => {
    const p = next<Stats>();
    child.send('stats');
    return p;
  };
  const ready = await next<Ready>();
  const r = rng(0x19);
  const clients: MqttClient[] = [];
  try {
    // Every fuzz node is born first, so mutants reach the rules past the birth check too.
    for (let i = 0; i < NODES; i++) {
      const node = `fuzz-${i}`;
      const c = await mqtt.connectAsync(ready.mqttUrl, { clientId: node, reconnectPeriod: 500 });
      clients.push(c);
      await c.publishAsync(`${ROOT}/site-f/${node}/birth`, Buffer.from(encode(envelope({ body: 'birth', birth: birth() }, { nodeId: node, seq: 0, sessionId: `fuzz-${node}` }))), { qos: 1 });
    }
    const before = await stats();
    let sent = 0;
    let validMutants = 0;
    const inFlight = new Set<Promise<unknown>>();
    const started = Date.now();
    while (sent < ENVELOPES && Date.now() < deadline - 30_000 && !exited) {
      const i = r.int(NODES);
      const node = `fuzz-${i}`;
      const { channel, payload } = mutate(r, node, sent + 1);
      if (validFor(node, channel, payload)) validMutants++;
      const c = clients[i]!;
      const p = c.publishAsync(`${ROOT}/site-f/${node}/${channel}`, Buffer.from(payload), { qos: 1 }).catch(() => undefined);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      sent++;
    }
    await Promise.all(inFlight);
    const mqttSeconds = (Date.now() - started) / 1000;
    // A PUBACK to the publisher comes before the broker's delivery to the orchestrator: settle.
    let afterMqtt = await stats();
    for (let i = 0; i < 50 && !exited; i++) {
      await new Promise((res) => setTimeout(res, 200));
      const s = await stats();
      if (s.received === afterMqtt.received) break;
      afterMqtt = s;
    }

    let bodies = 0;
    let http5xx = 0;
    let acceptedInvalidHttp = 0;
    while (bodies < BODIES_HTTP && Date.now() < deadline && !exited) {
      const { text, invalid } = mutateBody(r);
      const res = await fetch(`${ready.httpUrl}/v1/workloads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }).catch(() => null);
      await res?.arrayBuffer();
      if (!res || res.status >= 500) http5xx++;
      else if (invalid && res.status < 300) acceptedInvalidHttp++;
      bodies++;
    }
    const after = exited ? null : await stats();
    // Accepted beyond the births and the mutants that are still valid: junk let through.
    const acceptedFuzz = afterMqtt.accepted - before.accepted;
    const acceptedInvalidMqtt = Math.max(0, acceptedFuzz - validMutants);
    const crashes = (exited ? 1 : 0) + (after?.uncaught ?? 0);
    const note = `${sent} mutated envelopes over MQTT (${NODES} born nodes, QoS 1, ${(sent / mqttSeconds).toFixed(0)}/s; ${validMutants} mutants still valid by the codec + topic rules), ${bodies} mutated bodies at POST /v1/workloads`;
    const figures: Figure[] = [
      { name: 'fuzz.envelopes_sent', value: sent, unit: 'messages', note },
      { name: 'fuzz.bodies_sent', value: bodies, unit: 'requests', note },
      { name: 'fuzz.crashes', value: crashes, unit: 'count', note: 'orchestrator exits plus uncaught exceptions/rejections in it; must be 0' },
      { name: 'fuzz.http_5xx', value: http5xx, unit: 'count', note: 'must be 0' },
      { name: 'fuzz.accepted_invalid', value: acceptedInvalidMqtt + acceptedInvalidHttp, unit: 'count', note: `envelopes accepted beyond the still-valid mutants (${acceptedInvalidMqtt}) + 2xx for certainly invalid bodies (${acceptedInvalidHttp}); must be 0` },
      { name: 'fuzz.envelopes_accepted', value: acceptedFuzz, unit: 'messages', note: 'mutants accepted by ingest (at most the still-valid ones)' },
      { name: 'fuzz.envelopes_reached_ingest', value: afterMqtt.received - before.received, unit: 'messages', note: 'delivered to the orchestrator and judged by ingest' },
      { name: 'fuzz.broker_refused', value: afterMqtt.refused - before.refused, unit: 'count', note: `banyan_broker_refused_total over the envelope campaign (${afterMqtt.refusedBy || 'none'})` },
      { name: 'fuzz.rss_before', value: round(before.rssMb), unit: 'MiB', note: 'orchestrator RSS after the births, before the campaign (after a GC)' },
    ];
    if (after) figures.push({ name: 'fuzz.rss_after', value: round(after.rssMb), unit: 'MiB', note: `orchestrator RSS after both campaigns (after a GC); ${after.nodes} registry nodes` });
    return figures;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    child.kill();
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
