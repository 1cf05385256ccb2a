// Per-card Prometheus series, labelled like NVIDIA's DCGM-exporter, and the fleet's power and
// efficiency. A card exists in /metrics only while its node is online, and every family is
// rendered at scrape time from the registry: a node that goes offline, or is re-born with fewer or
// other cards, leaves no stale series behind.
//
// Rendered as exposition text here rather than through prom-client gauges: at 10k nodes × 8 cards
// that is 600k+ series per scrape, and prom-client's per-series label hashing and escaping cost
// seconds of the event loop that ingest needs (bench/metrics.bench.ts measures it). Each card's
// label set is escaped once per birth and reused.
import type { Accelerator, AcceleratorSample, Health } from '../protocol/messages.ts';
import { cardEfficiency, type CardEfficiency } from './efficiency.ts';
import type { NodeRecord } from './registry.ts';
import { cardBenches } from './views.ts';

/** Health as a number that grows with trouble, so `> 1` alerts on real faults only. */
export const HEALTH_CODE: Readonly<Record<Health, number>> = { ok: 0, unknown: 1, warning: 2, error: 3 };

const MIB = 1024 * 1024;

const PER_CARD =
  ' One series per card of each online node, labelled node, site, gpu (the card index on its node), vendor, model and domestic;' +
  ' banyan_accelerator_info adds uuid and pci_bus_id.';
const FROM_TELEMETRY = ' From the latest telemetry; a reading the vendor tool does not give has no series (never 0).';

interface Family {
  name: string;
  help: string;
  /** The value for one card, or undefined for no series. */
  read: (s: AcceleratorSample) => number | undefined;
}

const READINGS: readonly Family[] = [
  { name: 'banyan_accelerator_utilization_percent', help: 'Busy share of the card, 0-100, as its vendor tool reports it.', read: (s) => s.utilPct },
  { name: 'banyan_accelerator_memory_used_bytes', help: 'Device memory in use, bytes.', read: (s) => mibToBytes(s.memoryUsedMib) },
  { name: 'banyan_accelerator_memory_total_bytes', help: 'Device memory size as the vendor tool reports it with each reading, bytes.', read: (s) => mibToBytes(s.memoryTotalMib) },
  { name: 'banyan_accelerator_temperature_celsius', help: 'Card temperature, degrees Celsius.', read: (s) => s.temperatureC },
  { name: 'banyan_accelerator_power_watts', help: 'Power the card draws now, watts.', read: (s) => s.powerW },
  { name: 'banyan_accelerator_power_limit_watts', help: 'Power limit the card is held to, watts.', read: (s) => s.powerLimitW },
  {
    name: 'banyan_accelerator_health',
    help: 'Card health from its vendor tool as a code: 0 ok, 1 unknown (the tool does not say), 2 warning, 3 error.',
    read: (s) => HEALTH_CODE[s.health],
  },
];

const INFO = {
  name: 'banyan_accelerator_info',
  help: 'Always 1: one series per card of each online node, with its identity (uuid, pci_bus_id) besides the labels every per-card series has.',
};
const EFFICIENCY = {
  name: 'banyan_accelerator_tflops_per_watt',
  help:
    'FP16-equivalent TFLOPS per watt of the card: basis="measured" (its benchmark over the average power drawn while it ran) where it ' +
    'has one, else basis="nominal" (catalogue TFLOPS over TDP); no series when neither is known.',
};

function mibToBytes(mib: number | undefined): number | undefined {
  return mib === undefined ? undefined : mib * MIB;
}

interface CardLabels {
  site: string;
  /** `node="…",site="…",gpu="…",vendor="…",model="…",domestic="…"`, escaped, UTF-8. */
  common: Buffer;
  /** common plus uuid and pci_bus_id. */
  identity: Buffer;
}

/** Escaped label sets, per birth's accelerator object: rebuilt when a birth or a node's site changes. */
const labelCache = new WeakMap<Accelerator, CardLabels>();

function labelsOf(n: NodeRecord, a: Accelerator): CardLabels {
  const hit = labelCache.get(a);
  if (hit && hit.site === n.site) return hit;
  const common = [
    ['node', n.id],
    ['site', n.site],
    ['gpu', String(a.index)],
    ['vendor', a.vendor],
    ['model', a.model],
    ['domestic', String(a.domestic)],
  ]
    .map(([k, v]) => `${k}="${escapeLabel(v!)}"`)
    .join(',');
  const identity = `${common},uuid="${escapeLabel(a.uuid)}",pci_bus_id="${escapeLabel(a.pciBusId)}"`;
  const labels = { site: n.site, common: Buffer.from(common), identity: Buffer.from(identity) };
  labelCache.set(a, labels);
  return labels;
}

const BASIS: Readonly<Record<CardEfficiency['basis'], string>> = { measured: ',basis="measured"', nominal: ',basis="nominal"', unknown: ',basis="unknown"' };

interface Card {
  labels: CardLabels;
  sample: AcceleratorSample | undefined;
  efficiency: CardEfficiency;
}

/** Cards between two yields to the event loop: a few milliseconds of work each. */
export const CARDS_PER_SLICE = 8192;

/**
 * The per-card families as Prometheus text (version 0.0.4), HELP and TYPE included. It yields to
 * the event loop every CARDS_PER_SLICE cards, so ingest keeps up during a big scrape. Each card is
 * read once, into a snapshot (ingest replaces a node's reports, never edits them), so the families
 * agree with each other.
 */
export async function renderAcceleratorMetrics(nodes: Iterable<NodeRecord>, cardsPerSlice = CARDS_PER_SLICE): Promise<Buffer> {
  const cards: Card[] = [];
  let slice = 0;
  for (const n of nodes) {
    if (n.status !== 'online' || !n.birth) continue;
    const samples = n.telemetry?.accelerators ?? [];
    const bench = cardBenches(n);
    for (const a of n.birth.accelerators) {
      cards.push({ labels: labelsOf(n, a), sample: samples.find((x) => x.index === a.index), efficiency: cardEfficiency(a, bench(a.index)) });
    }
    if ((slice += n.birth.accelerators.length) >= cardsPerSlice) {
      slice = 0;
      await yieldToEventLoop();
    }
  }
  // Family by family, as the format wants; about 150 bytes a series.
  const w = new Writer(cards.length * (READINGS.length + 2) * 160);
  const eachCard = async (write: (c: Card) => void) => {
    for (let i = 0; i < cards.length; i++) {
      if (i > 0 && i % cardsPerSlice === 0) await yieldToEventLoop();
      write(cards[i]!);
    }
  };
  let prefix = w.family(INFO.name, INFO.help + PER_CARD);
  await eachCard((c) => w.series(prefix, c.labels.identity, '', 1));
  for (const r of READINGS) {
    prefix = w.family(r.name, r.help + PER_CARD + FROM_TELEMETRY);
    await eachCard((c) => {
      const v = c.sample && r.read(c.sample);
      if (v !== undefined && Number.isFinite(v)) w.series(prefix, c.labels.common, '', v);
    });
  }
  prefix = w.family(EFFICIENCY.name, EFFICIENCY.help + PER_CARD);
  await eachCard((c) => {
    const e = c.efficiency;
    if (e.tflopsPerWatt !== null) w.series(prefix, c.labels.common, BASIS[e.basis], e.tflopsPerWatt);
  });
  return w.done();
}

/**
 * Exposition text straight into one growing buffer: the cached label bytes are copied, never
 * re-encoded, and no per-series string is left for the collector (at 600k series it was most of
 * the cost).
 */
class Writer {
  private buf: Buffer;
  private len = 0;

  constructor(estimate: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, estimate));
  }

  /** Writes HELP and TYPE; returns the `name{` that starts each of its series. */
  family(name: string, help: string): Buffer {
    this.text(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`);
    return Buffer.from(`${name}{`);
  }

  /** prefix is family()'s `name{`; extra is more labels, ASCII, starting with a comma. */
  series(prefix: Buffer, labels: Buffer, extra: string, value: number): void {
    this.room(prefix.length + labels.length + extra.length + 32);
    // TypedArray#set: Buffer#copy's argument checks cost more than the copy at these sizes.
    this.buf.set(prefix, this.len);
    this.len += prefix.length;
    this.buf.set(labels, this.len);
    this.len += labels.length;
    if (extra) this.len += this.buf.write(extra, this.len, 'latin1');
    this.len += this.buf.write(`} ${value}\n`, this.len, 'latin1');
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}
