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
  compact<T>(value: T): T {
    return JSON.parse(JSON.stringify(value), (key, v: unknown) => {
      if (typeof v === 'string') return OWN_VALUES.has(key) ? v : this.intern(v);
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && SHARED_OBJECTS.has(key)) return this.share(v);
      return v;
    }) as T;
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
