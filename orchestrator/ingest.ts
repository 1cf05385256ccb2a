// Everything nodes publish passes through here: decode (= validate), then the protocol's envelope
// rules (README, Architecture) — topic node, envelope node and MQTT identity agree; no duplicate msg_id; seq never
// goes backwards on its channel within a session (MQTT orders per topic only). A rejected message is counted by reason and logged, never thrown.
// Accepted facts go to the registry, and the ones about distance (where a node stands, the RTTs it
// measured) to the latency model. A node exists once its birth is accepted: telemetry, latency and
// events before that are refused (`no_birth`); a retained state or bench that a broker happens to
// deliver before the retained birth is held and applied right after it.
import type { Logger } from 'pino';
import { decode, type DecodeReason } from '../protocol/codec.ts';
import type { Envelope, RttStats } from '../protocol/messages.ts';
import { CHANNELS, parseNodeTopic, type Channel } from '../protocol/topics.ts';
import type { LatencyModel } from './latency/model.ts';
import { peerOf } from '../protocol/peers.ts';
import type { Registry, NodeRecord } from './registry.ts';
import { StringPool } from './string-pool.ts';
import { PackedLatencyReport } from './latency-report.ts';
import { packRows } from './packed-rows.ts';

export type RejectReason =
  | DecodeReason
  | 'bad_topic'
  | 'channel_mismatch'
  | 'node_mismatch'
  | 'identity_mismatch'
  | 'duplicate'
  | 'seq_backwards'
  | 'stale_will'
  | 'no_birth';

export type IngestResult =
  | { ok: true; envelope: Envelope; node: NodeRecord }
  | { ok: false; reason: RejectReason; detail: string }
  /** A state or bench that came before its node's birth, kept to apply once the birth arrives. */
  | { ok: false; reason: 'no_birth'; detail: string; held: true };

export interface IngestHooks {
  /** Called for every accepted envelope after the registry saw it. */
  accepted?: (env: Envelope, node: NodeRecord) => void;
  rejected?: (reason: RejectReason, detail: string, topic: string) => void;
}

/** What ingest feeds the latency model: nodes' and sites' locations, and measured RTTs. */
export type LatencySink = Pick<LatencyModel, 'setLocation' | 'observe'>;

/**
 * msg_ids remembered per node. A broker redelivers (QoS 1) what was in flight, a handful; an
 * older copy still fails the sequence rule (seq_backwards), so a longer window only names the
 * reason and costs memory on every node, for as long as it lives.
 */
const DEDUP_WINDOW = 64;
const SESSIONS_KEPT = 4;
/** Unborn nodes whose early state/bench is held; past this the oldest are dropped. */
const MAX_HELD_NODES = 4096;
/** What may be held until a birth: the retained channels a broker delivers alongside it. */
type Held = { state?: HeldMessage; bench?: HeldMessage };
interface HeldMessage {
  env: Envelope;
  site: string;
  topic: string;
}

interface NodeWindow {
  /** This node's ring of msg_id hashes in MsgIdRings. */
  ring: number;
  /** Where the next one goes. */
  next: number;
  /** Sessions whose seqs are kept (≤ SESSIONS_KEPT), most recent last. */
  sessions: string[];
  /** Per session in `sessions`, CHANNELS.length entries: the highest seq seen on each channel (-1: none). */
  seqs: number[];
}

const NO_SEQS: readonly number[] = CHANNELS.map(() => -1);
/** Nodes' rings per page of MsgIdRings. */
const RING_PAGE = 1024;

/**
 * 53-bit hashes of each node's last DEDUP_WINDOW msg_ids (0 = empty), 8 bytes each, not a string.
 * One typed array per page of nodes, not per node: a typed array and its buffer cost ~180 bytes
 * of objects besides the 512 bytes of hashes, on every node.
 */
class MsgIdRings {
  private readonly pages: Float64Array[] = [];
  private count = 0;

  add(): number {
    const ring = this.count++;
    if (ring % RING_PAGE === 0) this.pages.push(new Float64Array(RING_PAGE * DEDUP_WINDOW));
    return ring;
  }

  has(ring: number, id: number): boolean {
    const page = this.pages[Math.floor(ring / RING_PAGE)]!;
    const start = (ring % RING_PAGE) * DEDUP_WINDOW;
    for (let i = start; i < start + DEDUP_WINDOW; i++) if (page[i] === id) return true;
    return false;
  }

  set(ring: number, at: number, id: number): void {
    this.pages[Math.floor(ring / RING_PAGE)]![(ring % RING_PAGE) * DEDUP_WINDOW + at] = id;
  }
}

export class Ingest {
  readonly received = { total: 0, accepted: 0 };
  readonly rejected = new Map<RejectReason, number>();
  private readonly windows = new Map<string, NodeWindow>();
  private readonly msgIds = new MsgIdRings();
  private readonly held = new Map<string, Held>();
  /** What the registry keeps of each report shares the strings a fleet repeats (string-pool.ts). */
  private readonly strings = new StringPool();

  constructor(
    private readonly root: string,
    private readonly registry: Registry,
    private readonly log?: Logger,
    private readonly hooks: IngestHooks = {},
    private readonly latency?: LatencySink,
  ) {}

  /** clientId: the publisher's MQTT identity when the broker tells us (embedded broker). */
  handle(topic: string, payload: Uint8Array, clientId?: string): IngestResult {
    this.received.total++;
    const t = parseNodeTopic(this.root, topic);
    if (!t) return this.reject('bad_topic', `topic ${topic} is not ${this.root}/<site>/<node>/<channel>`, topic);
    if (t.node.startsWith('_')) return this.reject('bad_topic', `node ids starting with "_" are reserved for the orchestrator`, topic);
    const d = decode(payload);
    if (!d.ok) return this.reject(d.error.reason, d.error.detail, topic);
    const env = d.envelope;
    if (env.body !== t.channel) {
      return this.reject('channel_mismatch', `a ${env.body} body on the ${t.channel} channel`, topic);
    }
    if (env.nodeId !== t.node) {
      return this.reject('node_mismatch', `envelope from ${env.nodeId} on ${t.node}'s topic`, topic);
    }
    if (clientId !== undefined && clientId !== t.node) {
      return this.reject('identity_mismatch', `client ${clientId} published on ${t.node}'s topic`, topic);
    }
    if (env.body !== 'birth' && !this.registry.get(env.nodeId)?.birth) return this.beforeBirth(env, t.site, topic);
    const r = this.admit(env, t.site, topic);
    if (r.ok && env.body === 'birth') this.releaseHeld(env.nodeId);
    return r;
  }

  /** The envelope rules that need the node's history: duplicates, sequence, stale wills. */
  private admit(env: Envelope, site: string, topic: string): IngestResult {
    const w = this.window(env.nodeId);
    const id = msgIdHash(env.msgId);
    if (this.msgIds.has(w.ring, id)) return this.reject('duplicate', `msg_id ${env.msgId} seen before`, topic);
    const isWill = env.body === 'state' && env.state.status === 'OFFLINE' && env.seq === 0;
    if (isWill) {
      // A death certificate is composed at connect time, so it carries no sequence; it counts
      // only for the session it was made in (a will from an older connection is stale).
      const current = this.registry.get(env.nodeId)?.sessionId;
      if (current && current !== env.sessionId) {
        return this.reject('stale_will', `will of session ${env.sessionId}; node is in ${current}`, topic);
      }
    } else {
      // Per channel: MQTT orders messages per topic only, and a clustered broker (NATS, one
      // JetStream consumer per subscription) delivers a node's channels independently, so an
      // older event may rightly arrive after newer telemetry. A replay still fails on its own channel.
      // handle() made sure the body names its topic's channel.
      const ch = CHANNELS.indexOf(env.body as Channel);
      const n = CHANNELS.length;
      const s = w.sessions.indexOf(env.sessionId);
      const prev = s < 0 ? -1 : w.seqs[s * n + ch]!;
      if (env.seq <= prev) {
        return this.reject('seq_backwards', `seq ${env.seq} after ${prev} on its channel in session ${env.sessionId}`, topic);
      }
      // Most messages come in the newest session, which is last already: nothing moves.
      if (s < 0 || s < w.sessions.length - 1) this.makeNewest(w, s, env.sessionId);
      w.seqs[(w.sessions.length - 1) * n + ch] = env.seq;
    }
    this.remember(w, id);
    // The window's copy of the session id (equal, kept since the session's first message), so the
    // registry does not keep a second one from this message.
    const node = this.apply(env, site, isWill, isWill ? env.sessionId : w.sessions[w.sessions.length - 1]!);
    this.received.accepted++;
    this.hooks.accepted?.(env, node);
    return { ok: true, envelope: env, node };
  }

  /**
   * A node that has sent no birth does not exist. Its retained state and bench may still come
   * first at subscribe time (brokers deliver retained messages per filter), so the latest of each
   * is held for the birth; anything else is refused.
   */
  private beforeBirth(env: Envelope, site: string, topic: string): IngestResult {
    if (env.body === 'state' || env.body === 'bench') {
      const h = this.held.get(env.nodeId) ?? {};
      this.held.delete(env.nodeId);
      this.held.set(env.nodeId, { ...h, [env.body]: { env, site, topic } });
      if (this.held.size > MAX_HELD_NODES) this.held.delete(this.held.keys().next().value!);
      return { ok: false, reason: 'no_birth', detail: `${env.body} held until ${env.nodeId} sends its birth`, held: true };
    }
    return this.reject('no_birth', `${env.body} from ${env.nodeId}, which has sent no birth; a node exists once its birth is accepted`, topic);
  }

  private releaseHeld(nodeId: string): void {
    const h = this.held.get(nodeId);
    if (!h) return;
    this.held.delete(nodeId);
    // The state last: a bench marks the node alive, the state says what it is now.
    for (const m of [h.bench, h.state]) if (m) this.admit(m.env, m.site, m.topic);
  }

  private apply(env: Envelope, site: string, isWill: boolean, sessionId: string): NodeRecord {
    const r = this.registry;
    // The site is a slice of this message's topic: unpooled, each node would keep a whole topic string.
    const node = r.touch(env.nodeId, this.strings.intern(site), sessionId);
    const now = node.lastSeenMs;
    switch (env.body) {
      case 'birth':
        // Located before the status change, so whoever hears the node come online can place near it.
        this.locate({ id: node.id, birth: env.birth });
        r.setBirth(node, this.strings.compact(env.birth));
        break;
      case 'state':
        if (env.state.status === 'ONLINE') r.setStatus(node, 'online', 'state');
        else r.setStatus(node, 'offline', isWill ? 'will' : 'goodbye');
        break;
      case 'telemetry':
        node.telemetry = packRows(this.strings.compact({ ...env.telemetry, atMs: now }, 'accelerators'), 'accelerators');
        r.markAlive(node);
        break;
      case 'bench':
        node.bench = packRows(this.strings.compact({ ...env.bench, atMs: now }, 'results'), 'results');
        r.version++;
        r.markAlive(node);
        break;
      case 'latency':
        node.latency = new PackedLatencyReport(env.latency, now, this.strings);
        this.observe(node.id, env.latency.targets);
        r.markAlive(node);
        break;
      case 'event':
      case 'cmd':
        r.markAlive(node);
        break;
    }
    return node;
  }

  /** A node's location (from its birth) and its site's, for the latency model; also for nodes restored from disk. */
  locate(node: Pick<NodeRecord, 'id' | 'birth'>): void {
    const loc = node.birth?.location;
    if (!loc || !this.latency) return;
    this.latency.setLocation(node.id, { lat: loc.lat, lon: loc.lon });
    // The latency model names places and landmarks by their bare ids.
    if (loc.site) this.latency.setLocation(loc.site, { lat: loc.lat, lon: loc.lon }, { place: true });
  }

  private observe(nodeId: string, targets: readonly RttStats[]): void {
    if (!this.latency) return;
    for (const t of targets) {
      if (t.received === 0) continue;
      // A peer is named host:port; the model knows it by node id.
      const other = t.targetKind === 'peer' ? peerOf(t) : t.target;
      if (other) this.latency.observe(nodeId, other, t.p50Ms);
    }
  }

  private window(nodeId: string): NodeWindow {
    let w = this.windows.get(nodeId);
    if (!w) {
      w = { ring: this.msgIds.add(), next: 0, sessions: [], seqs: [] };
      this.windows.set(nodeId, w);
    }
    return w;
  }

  /**
   * Moves session `s` (-1: a new one, `sessionId`) last, dropping the oldest past SESSIONS_KEPT.
   * The arrays are made at their final length: ones grown by push or spread reserve 17 slots.
   */
  private makeNewest(w: NodeWindow, s: number, sessionId: string): void {
    const n = CHANNELS.length;
    const others = w.sessions.length - (s < 0 ? 0 : 1);
    let skip = Math.max(0, others + 1 - SESSIONS_KEPT);
    const sessions = new Array<string>(others - skip + 1);
    const seqs = new Array<number>(sessions.length * n);
    let j = 0;
    for (let i = 0; i < w.sessions.length; i++) {
      if (i === s) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      sessions[j] = w.sessions[i]!;
      for (let c = 0; c < n; c++) seqs[j * n + c] = w.seqs[i * n + c]!;
      j++;
    }
    sessions[j] = s < 0 ? sessionId : w.sessions[s]!;
    for (let c = 0; c < n; c++) seqs[j * n + c] = s < 0 ? NO_SEQS[c]! : w.seqs[s * n + c]!;
    w.sessions = sessions;
    w.seqs = seqs;
  }

  private remember(w: NodeWindow, id: number): void {
    this.msgIds.set(w.ring, w.next, id);
    w.next = (w.next + 1) % DEDUP_WINDOW;
  }

  private reject(reason: RejectReason, detail: string, topic: string): IngestResult {
    this.countRejection(reason, detail, topic);
    return { ok: false, reason, detail };
  }

  /** Also used by the embedded broker's identity check, which refuses before ingest sees it. */
  countRejection(reason: RejectReason, detail: string, topic: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    this.log?.warn({ reason, detail, topic }, 'rejected message');
    this.hooks.rejected?.(reason, detail, topic);
  }
}

/**
 * A 53-bit hash of a msg_id (cyrb53), never 0 (an empty slot): two distinct ids in one node's
 * window collide with a chance of about 64 in 2^53 per message, so none is refused by mistake.
 */
export function msgIdHash(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0) || 1;
}
