// A Sparkplug host's ear for tests: everything under spBv1.0/<group>/# on a real broker, decoded
// with the bridge's proto, data metrics read by the datatypes their births gave each alias.
import mqtt, { type MqttClient } from 'mqtt';
import { decodeSpb, parseSpbTopic, type SpbPayload, type SpbTopic } from '../../../protocol/sparkplug/codec.ts';

export interface Heard {
  topic: string;
  t: SpbTopic;
  payload: SpbPayload;
}

export class SpbListener {
  readonly heard: Heard[] = [];
  /** Payloads that did not decode, or data metrics with an alias no birth gave. */
  readonly problems: string[] = [];
  private readonly datatypes = new Map<string, Map<number, number>>();

  private constructor(readonly client: MqttClient) {}

  static async start(url: string, group: string): Promise<SpbListener> {
    const client = await mqtt.connectAsync(url, { clientId: `spb-listener-${Math.random().toString(16).slice(2, 10)}`, clean: true, reconnectPeriod: 0 });
    const l = new SpbListener(client);
    client.on('message', (topic, payload) => l.take(topic, payload));
    await client.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
    return l;
  }

  of(edgeNode: string, type?: SpbTopic['type']): Heard[] {
    return this.heard.filter((h) => h.t.edgeNode === edgeNode && (!type || h.t.type === type));
  }

  private take(topic: string, bytes: Buffer): void {
    const t = parseSpbTopic(topic);
    if (!t) return void this.problems.push(`unparsable topic ${topic}`);
    if (t.type === 'NCMD' || t.type === 'DCMD') return;
    if (t.type === 'NBIRTH') this.datatypes.set(t.edgeNode, new Map());
    const table = this.datatypes.get(t.edgeNode);
    const d = decodeSpb(bytes, (m) => (m.alias === undefined ? undefined : table?.get(m.alias)));
    if (!d.ok) return void this.problems.push(`${topic}: ${d.detail}`);
    if (t.type === 'NBIRTH' || t.type === 'DBIRTH') {
      for (const m of d.payload.metrics) if (m.alias !== undefined && m.datatype !== undefined) table?.set(m.alias, m.datatype);
    }
    if (t.type === 'NDATA' || t.type === 'DDATA') {
      for (const m of d.payload.metrics) if (m.alias === undefined || !table?.has(m.alias)) this.problems.push(`${topic}: alias ${m.alias} not born`);
    }
    this.heard.push({ topic, t, payload: d.payload });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

/** The seq rule over one edge node's messages in arrival order: NBIRTH 0, then +1 mod 256 (NDEATH has none). */
export function seqViolations(msgs: Heard[]): string[] {
  const out: string[] = [];
  let prev: number | null = null;
  for (const [i, h] of msgs.entries()) {
    const seq = h.payload.seq;
    if (h.t.type === 'NDEATH') {
      if (seq !== undefined) out.push(`${i}: NDEATH with seq ${seq}`);
      prev = null;
      continue;
    }
    if (h.t.type === 'NBIRTH') {
      if (seq !== 0) out.push(`${i}: NBIRTH with seq ${seq}`);
    } else if (prev === null) out.push(`${i}: ${h.t.type} before any NBIRTH`);
    else if (seq !== (prev + 1) % 256) out.push(`${i}: ${h.t.type} seq ${seq} after ${prev}`);
    prev = seq ?? null;
  }
  return out;
}

export function metric(h: Heard, name: string) {
  return h.payload.metrics.find((m) => m.name === name);
}
