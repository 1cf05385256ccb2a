// One Sparkplug edge node as the bridge keeps it: its bdSeq, its message sequence, the aliases its
// NBIRTH defined and the last value sent for each, so data messages carry changes by alias only.
// The rules (Sparkplug 3.0): NBIRTH has seq 0; every NBIRTH/NDATA/DBIRTH/DDATA after it takes the
// next seq, 255 wrapping to 0; NDEATH has no seq and the bdSeq of the NBIRTH it ends. Pure: it
// makes the messages, the bridge sends them.
import { DataType, spbTopic, type SpbMessageType, type SpbMetric, type SpbPayload } from '../../protocol/sparkplug/codec.ts';
import { BDSEQ_METRIC, type DeviceSpec, type MetricSpec } from './metrics.ts';

export interface Outgoing {
  topic: string;
  type: SpbMessageType;
  payload: SpbPayload;
  /** Each data metric's datatype, by alias, for encoding the value. */
  datatypes: ReadonlyMap<number, number>;
}

export class EdgeNode {
  /** bdSeq of the current (or, before the first birth, the next) NBIRTH. */
  private bdSeq = 0;
  private nextBdSeq = 0;
  /** Set until the first birth, and by a death or a lost session: the next NBIRTH takes the next bdSeq. */
  private newSession = true;
  private seq = 0;
  private born = false;
  /** `device\0name` -> alias, as the last NBIRTH defined them. */
  private aliases = new Map<string, number>();
  private datatypes = new Map<number, number>();
  private last = new Map<number, MetricSpec['value']>();
  /** The metric names and devices the last NBIRTH announced; data outside them needs a rebirth. */
  private shape = '';

  constructor(
    readonly group: string,
    readonly id: string,
  ) {}

  get isBorn(): boolean {
    return this.born;
  }

  get currentBdSeq(): number {
    return this.bdSeq;
  }

  /**
   * NBIRTH then one DBIRTH per device. A first birth, or one after an NDEATH or a lost session,
   * takes the next bdSeq (0-255); a rebirth (NCMD, a changed metric set) keeps the current one.
   */
  birth(node: MetricSpec[], devices: DeviceSpec[], now: number): Outgoing[] {
    if (this.newSession) {
      this.bdSeq = this.nextBdSeq;
      this.nextBdSeq = (this.nextBdSeq + 1) % 256;
      this.newSession = false;
    }
    this.seq = 0;
    this.born = true;
    this.aliases = new Map();
    this.datatypes = new Map();
    this.last = new Map();
    this.shape = shapeOf(node, devices);
    let alias = 1;
    const birthMetrics = (device: string, specs: MetricSpec[]): SpbMetric[] =>
      specs.map((s) => {
        const a = alias++;
        this.aliases.set(key(device, s.name), a);
        this.datatypes.set(a, s.datatype);
        this.last.set(a, s.value);
        return { name: s.name, alias: a, timestamp: now, datatype: s.datatype, value: s.value };
      });
    const out: Outgoing[] = [
      this.message('NBIRTH', undefined, now, [
        { name: BDSEQ_METRIC, timestamp: now, datatype: DataType.Int64, value: this.bdSeq },
        ...birthMetrics('', node),
      ]),
    ];
    for (const d of devices) out.push(this.message('DBIRTH', d.id, now, birthMetrics(d.id, d.metrics)));
    return out;
  }

  /**
   * NDATA and DDATA with what changed since the last message, alias only. When the metric set
   * itself changed (a card added, a landmark first probed), the answer is a rebirth.
   */
  update(node: MetricSpec[], devices: DeviceSpec[], now: number): Outgoing[] {
    if (!this.born) return [];
    if (shapeOf(node, devices) !== this.shape) return this.birth(node, devices, now);
    const out: Outgoing[] = [];
    const changed = (device: string, specs: MetricSpec[]): SpbMetric[] => {
      const metrics: SpbMetric[] = [];
      for (const s of specs) {
        const a = this.aliases.get(key(device, s.name))!;
        if (Object.is(this.last.get(a), s.value)) continue;
        this.last.set(a, s.value);
        metrics.push({ alias: a, timestamp: now, value: s.value });
      }
      return metrics;
    };
    const n = changed('', node);
    if (n.length) out.push(this.message('NDATA', undefined, now, n));
    for (const d of devices) {
      const ms = changed(d.id, d.metrics);
      if (ms.length) out.push(this.message('DDATA', d.id, now, ms));
    }
    return out;
  }

  /** NDEATH with the bdSeq of the NBIRTH it ends; null when the node was not born. */
  death(now: number): Outgoing | null {
    if (!this.born) return null;
    this.born = false;
    this.newSession = true;
    return {
      topic: spbTopic(this.group, 'NDEATH', this.id),
      type: 'NDEATH',
      payload: { timestamp: now, metrics: [{ name: BDSEQ_METRIC, timestamp: now, datatype: DataType.Int64, value: this.bdSeq }] },
      datatypes: this.datatypes,
    };
  }

  /** The NDEATH a Last Will carries: the bdSeq the next NBIRTH will have (the bridge's own node). */
  will(now: number): Outgoing {
    return {
      topic: spbTopic(this.group, 'NDEATH', this.id),
      type: 'NDEATH',
      payload: { timestamp: now, metrics: [{ name: BDSEQ_METRIC, timestamp: now, datatype: DataType.Int64, value: this.newSession ? this.nextBdSeq : this.bdSeq }] },
      datatypes: this.datatypes,
    };
  }

  /**
   * Not born any more, with no NDEATH sent: the primary host went away (the next birth is a
   * rebirth), or the bridge's connection was lost (`sessionLost`: the next birth is a new session).
   */
  unborn(sessionLost: boolean): void {
    this.born = false;
    if (sessionLost) this.newSession = true;
  }

  /** Whether `alias` is the one the last NBIRTH gave this metric name. */
  aliasIs(name: string, alias: number): boolean {
    return this.aliases.get(key('', name)) === alias;
  }

  private message(type: SpbMessageType, device: string | undefined, now: number, metrics: SpbMetric[]): Outgoing {
    const seq = type === 'NBIRTH' ? 0 : (this.seq + 1) % 256;
    this.seq = seq;
    return { topic: spbTopic(this.group, type, this.id, device), type, payload: { timestamp: now, seq, metrics }, datatypes: this.datatypes };
  }
}

function key(device: string, name: string): string {
  return `${device}\u0000${name}`;
}

function shapeOf(node: MetricSpec[], devices: DeviceSpec[]): string {
  const names = (specs: MetricSpec[]) => specs.map((s) => `${s.name}:${s.datatype}`).join('\u0001');
  return [names(node), ...devices.map((d) => `${d.id}\u0002${names(d.metrics)}`)].join('\u0003');
}
