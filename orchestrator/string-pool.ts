// Decoded reports repeat the same strings across a whole fleet (vendor, model, driver, catalogue
// source, label values, landmark names), and every decode makes fresh copies of them: at 10k
// nodes those copies were most of the orchestrator's memory. A pool keeps one copy of each, and
// what the registry keeps is a compact copy of the message that shares them.

/** Fields whose values are one node's own (ids, serials): pooling them would only grow the pool. */
const OWN_VALUES: ReadonlySet<string> = new Set(['uuid', 'hostname', 'systemSerial', 'mac', 'probeAddress', 'msgId', 'sessionId']);

/**
 * Fields whose whole value the fleet repeats: an accelerator's catalogue figure (every card of a
 * model has the same), a benchmark's software versions, a node's labels. One frozen copy of each
 * is shared, so a write to one node's copy throws instead of reaching every node.
 */
const SHARED_OBJECTS: ReadonlySet<string> = new Set(['nominal', 'versions', 'labels']);

export class StringPool {
  private readonly pool = new Map<string, string>();
  /** Shared values of SHARED_OBJECTS fields, by their JSON. */
  private readonly objects = new Map<string, object>();

  /**
   * maxEntries bounds the pool (a fleet whose strings never repeat starts it over, losing only
   * sharing); longer strings than maxLength are kept as they are.
   */
  constructor(
    private readonly maxEntries = 50_000,
    private readonly maxLength = 512,
    private readonly maxObjects = 4096,
  ) {}

  get size(): number {
    return this.pool.size;
  }

  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const known = this.pool.get(s);
    if (known !== undefined) return known;
    if (this.pool.size >= this.maxEntries) this.pool.clear();
    this.pool.set(s, s);
    return s;
  }

  /**
   * A copy of a decoded message (plain data: objects, arrays, strings, finite numbers, booleans)
   * that holds less: its strings come from the pool, and its objects are laid out as JSON.parse
   * lays them out (properties in the object itself, no separate property store), which a decoder
   * that adds fields one by one does not do. Fields named in OWN_VALUES keep their own strings;
   * fields named in SHARED_OBJECTS are shared, frozen, with every equal one compacted before.
   */
  compact<T>(value: T, rowsKey?: string): T {
    const rows = rowsKey !== undefined && isRecord(value) ? value[rowsKey] : undefined;
    if (!Array.isArray(rows)) return this.roundTrip(value) as T;
    // The rest keeps its place in the key order; the rows are put back where their null stood.
    const out = this.roundTrip({ ...(value as Record<string, unknown>), [rowsKey!]: null }) as Record<string, unknown>;
    out[rowsKey!] = this.copy(rows, rowsKey!);
    return out as T;
  }

  /** The JSON round trip with the pooling reviver: JSON.parse lays out each object it makes at its exact size. */
  private roundTrip(value: unknown): unknown {
    const text = JSON.stringify(value);
    if (text === undefined) return undefined;
    return JSON.parse(text, (key, v: unknown) => {
      if (typeof v === 'string') return this.pooled(key, v);
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && SHARED_OBJECTS.has(key)) return this.share(v);
      return v;
    });
  }

  /**
   * What roundTrip gives, built directly, for rows the caller packs at once (packed-rows.ts): at
   * 10k agents the round trip of every telemetry's cards, reviver called on every key, was a fifth
   * of the orchestrator's CPU in a start-up burst. Not for what is kept as it is: an object built
   * key by key has spare slots and boxed numbers that JSON.parse's exact layout has not (kept
   * births grew the heap by ~1 KB a node). Values with a toJSON (a Buffer, a Date) take the round trip.
   */
  private copy(v: unknown, key: string): unknown {
    switch (typeof v) {
      case 'string':
        return this.pooled(key, v);
      case 'number':
        // JSON writes -0 as 0, and non-finite numbers as null.
        return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
      case 'boolean':
        return v;
      case 'object':
        break;
      case 'bigint':
        return this.roundTrip(v);
      default:
        return undefined;
    }
    if (v === null) return null;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return (this.roundTrip({ [key]: v }) as Record<string, unknown>)[key];
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = this.copy(v[i], String(i)) ?? null;
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = this.copy((v as Record<string, unknown>)[k], k);
      if (x === undefined) continue;
      // As JSON.parse makes it: an own field, never the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
      else out[k] = x;
    }
    return SHARED_OBJECTS.has(key) ? this.share(out) : out;
  }

  /** A string field's value as kept: pooled, unless the field is a node's own. */
  private pooled(key: string, v: string): string {
    return OWN_VALUES.has(key) ? v : this.intern(v);
  }

  private share(v: object): object {
    const json = JSON.stringify(v);
    const known = this.objects.get(json);
    if (known !== undefined) return known;
    if (this.objects.size >= this.maxObjects) this.objects.clear();
    this.objects.set(json, Object.freeze(v));
    return v;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
