// The live registry of nodes: what each said in its birth, its latest reports, and whether it is
// alive. A node is ONLINE after birth/state, OFFLINE after its Last Will, a clean goodbye, or
// silence past its telemetry timeout; nodes restored from disk are "unknown" until they speak.
import type { Birth, BenchReport, LatencyReport, Telemetry } from '../protocol/messages.ts';

/** Why a node was lost, as loss-cause.ts judges it from peers' probes and district correlation. */
export type LossCause = 'crashed' | 'partitioned' | 'hung' | 'unknown';

export interface LossVerdict {
  nodeId: string;
  cause: LossCause;
  /** When the orchestrator saw it go (orchestrator clock). */
  lostAtMs: number;
  decidedAtMs: number | null;
  evidence: string;
  /** Set when it came back. */
  backAtMs: number | null;
}

export type NodeStatus = 'online' | 'offline' | 'unknown';
export type StatusReason = 'birth' | 'state' | 'will' | 'goodbye' | 'silent' | 'restored';

export interface NodeRecord {
  id: string;
  site: string;
  status: NodeStatus;
  statusReason: StatusReason;
  /** When the status last changed (orchestrator clock). */
  sinceMs: number;
  /** Last message of any kind (orchestrator clock, so agents' clock skew does not matter). */
  lastSeenMs: number;
  sessionId: string;
  birth: Birth | null;
  telemetry: (Telemetry & { atMs: number }) | null;
  bench: (BenchReport & { atMs: number }) | null;
  latency: (LatencyReport & { atMs: number }) | null;
  /** Why it was last lost (crashed, partitioned, hung), once peers have been asked. */
  loss: LossVerdict | null;
}

export interface StatusChange {
  node: NodeRecord;
  from: NodeStatus;
  to: NodeStatus;
  reason: StatusReason;
}

export interface RegistryOptions {
  clock?: () => number;
  /** Silence after which an online node is declared offline: this many telemetry intervals… */
  silentIntervals?: number;
  /** …but never less than this. */
  minSilentMs?: number;
  /**
   * A sweep that finds at least massSilenceMin nodes and massSilenceShare of the online ones silent
   * at once holds them for massSilenceGrace times their limit: so many going quiet together is far
   * likelier the orchestrator's own backlog (a start-up burst) or the broker's stall than theirs,
   * as Kubernetes' node controller assumes of a zone gone dark. Nodes silent past the longer limit
   * still go offline.
   */
  massSilenceMin?: number;
  massSilenceShare?: number;
  massSilenceGrace?: number;
  /** Told of each sweep that held nodes back, with how many. */
  onMassSilence?: (held: number, online: number) => void;
  onChange?: (c: StatusChange) => void;
}

export class Registry {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly clock: () => number;
  private readonly silentIntervals: number;
  private readonly minSilentMs: number;
  /** Nodes a sweep held back as part of a mass silence, over the registry's life. */
  heldSilent = 0;
  /** Bumped on every change worth persisting (not on heartbeats). */
  version = 0;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.silentIntervals = opts.silentIntervals ?? 3;
    this.minSilentMs = opts.minSilentMs ?? 3000;
  }

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  all(): IterableIterator<NodeRecord> {
    return this.nodes.values();
  }

  /** Restores nodes known before a restart; they stay "unknown" until they speak. */
  restore(records: Iterable<Pick<NodeRecord, 'id' | 'site' | 'birth' | 'lastSeenMs' | 'bench'>>): void {
    for (const r of records) {
      this.nodes.set(r.id, {
        ...r,
        status: 'unknown',
        statusReason: 'restored',
        sinceMs: this.clock(),
        sessionId: '',
        telemetry: null,
        latency: null,
        loss: null,
      });
    }
    this.version++;
  }

  /** Marks any message from a node: it is alive, in this session. */
  touch(id: string, site: string, sessionId: string): NodeRecord {
    const now = this.clock();
    let n = this.nodes.get(id);
    if (!n) {
      n = {
        id,
        site,
        status: 'unknown',
        statusReason: 'restored',
        sinceMs: now,
        lastSeenMs: now,
        sessionId,
        birth: null,
        telemetry: null,
        bench: null,
        latency: null,
        loss: null,
      };
      this.nodes.set(id, n);
      this.version++;
    }
    // lastSeenMs alone does not bump the version: persistence need not rewrite on every heartbeat.
    n.lastSeenMs = now;
    n.site = site;
    n.sessionId = sessionId;
    return n;
  }

  setBirth(n: NodeRecord, birth: Birth): void {
    n.birth = birth;
    this.setStatus(n, 'online', 'birth');
  }

  setStatus(n: NodeRecord, to: NodeStatus, reason: StatusReason): void {
    const from = n.status;
    n.statusReason = reason;
    this.version++;
    if (from === to) return;
    n.status = to;
    n.sinceMs = this.clock();
    this.opts.onChange?.({ node: n, from, to, reason });
  }

  /** Wakes a node that speaks without a birth (e.g. after an orchestrator restart). */
  markAlive(n: NodeRecord): void {
    if (n.status !== 'online' && n.birth) this.setStatus(n, 'online', 'state');
  }

  /** Declares silent nodes offline; returns how many changed. */
  sweep(): number {
    const now = this.clock();
    let online = 0;
    const silent: { n: NodeRecord; over: number }[] = [];
    for (const n of this.nodes.values()) {
      if (n.status !== 'online') continue;
      online++;
      const interval = n.birth?.telemetryIntervalMs || 5000;
      const limit = Math.max(this.minSilentMs, interval * this.silentIntervals);
      // How many of its limits it has been silent.
      const over = (now - n.lastSeenMs) / limit;
      if (over > 1) silent.push({ n, over });
    }
    const mass = silent.length >= (this.opts.massSilenceMin ?? 20) && silent.length >= online * (this.opts.massSilenceShare ?? 0.5);
    const grace = mass ? (this.opts.massSilenceGrace ?? 3) : 1;
    let changed = 0;
    for (const { n, over } of silent) {
      if (over <= grace) continue;
      this.setStatus(n, 'offline', 'silent');
      changed++;
    }
    if (mass && changed < silent.length) {
      this.heldSilent += silent.length - changed;
      this.opts.onMassSilence?.(silent.length - changed, online);
    }
    return changed;
  }
}
