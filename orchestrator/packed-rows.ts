// A report's array of small objects (a telemetry's per-card samples, a benchmark's results) as
// the registry keeps it. As decoded, each row is an object, and each figure in it that is not a
// small integer V8 boxes in a heap number of its own: on every node of a city, for as long as it
// lives. Kept here: each row's layout (its keys, in order, and which hold numbers or nested
// objects) once for the fleet, every row's numbers unboxed in one array, its other values in
// another. Read, the field is the array as it was, built afresh on each read (the field is an
// enumerable property: spreads, JSON and deep equality see it).

/**
 * The keys of a row, in order, and what each holds: a number ('n', kept unboxed), another value
 * ('o', kept as it is: strings, booleans, null, arrays, frozen shared objects), or a plain object
 * laid out in turn (a benchmark's fp16 figure), whose own objects would cost as much again.
 */
interface Layout {
  keys: string[];
  kinds: ('n' | 'o' | Layout)[];
  /** Numbers and other values in a row, nested ones included. */
  numbers: number;
  others: number;
}

/** Layouts the fleet shares, by signature; a fleet whose rows never repeat one starts it over. */
const layouts = new Map<string, Layout>();
const MAX_LAYOUTS = 1024;

function isPlain(o: unknown): o is Record<string, unknown> {
  // A key named __proto__ would set a prototype when the row is put back together, not a field.
  return typeof o === 'object' && o !== null && !Array.isArray(o) && !Object.hasOwn(o, '__proto__');
}

/** Nested objects laid out too: plain ones, not those StringPool shares (frozen), which stay shared. */
function isNested(v: unknown): v is Record<string, unknown> {
  return isPlain(v) && !Object.isFrozen(v);
}

function signature(row: Record<string, unknown>): string {
  let sig = '';
  for (const k in row) {
    if (!Object.hasOwn(row, k)) continue;
    const v = row[k];
    sig += `${typeof v === 'number' ? 'n' : isNested(v) ? `{${signature(v)}}` : 'o'}${JSON.stringify(k)}`;
  }
  return sig;
}

function layoutOf(row: Record<string, unknown>): Layout {
  const sig = signature(row);
  let l = layouts.get(sig);
  if (!l) {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    l = build(row);
    layouts.set(sig, l);
  }
  return l;
}

function build(row: Record<string, unknown>): Layout {
  const keys = Object.keys(row);
  const kinds: Layout['kinds'] = [];
  let numbers = 0;
  let others = 0;
  for (const k of keys) {
    const v = row[k];
    if (typeof v === 'number') {
      kinds.push('n');
      numbers++;
    } else if (isNested(v)) {
      const sub = build(v);
      kinds.push(sub);
      numbers += sub.numbers;
      others += sub.others;
    } else {
      kinds.push('o');
      others++;
    }
  }
  return { keys, kinds, numbers, others };
}

class PackedRows {
  /** One layout when every row has it (the usual case), else each row's. */
  readonly #layout: Layout | Layout[];
  readonly #count: number;
  readonly #numbers: number[];
  readonly #others: unknown[];

  constructor(rows: readonly Record<string, unknown>[]) {
    const ls = rows.map(layoutOf);
    let n = 0;
    let o = 0;
    for (const l of ls) {
      n += l.numbers;
      o += l.others;
    }
    // At their final length: arrays grown by push reserve spare slots.
    const numbers = new Array<number>(n);
    const others = new Array<unknown>(o);
    const at = { n: 0, o: 0 };
    for (let r = 0; r < rows.length; r++) put(rows[r]!, ls[r]!, numbers, others, at);
    this.#layout = ls.length > 0 && ls.every((l) => l === ls[0]) ? ls[0]! : ls;
    this.#count = rows.length;
    this.#numbers = numbers;
    this.#others = others;
  }

  unpack(): Record<string, unknown>[] {
    const out = new Array<Record<string, unknown>>(this.#count);
    const at = { n: 0, o: 0 };
    const one = Array.isArray(this.#layout) ? null : this.#layout;
    for (let r = 0; r < out.length; r++) out[r] = get(one ?? (this.#layout as Layout[])[r]!, this.#numbers, this.#others, at);
    return out;
  }
}

function put(row: Record<string, unknown>, l: Layout, numbers: number[], others: unknown[], at: { n: number; o: number }): void {
  for (let k = 0; k < l.keys.length; k++) {
    const kind = l.kinds[k]!;
    const v = row[l.keys[k]!];
    if (kind === 'n') numbers[at.n++] = v as number;
    else if (kind === 'o') others[at.o++] = v;
    else put(v as Record<string, unknown>, kind, numbers, others, at);
  }
}

function get(l: Layout, numbers: number[], others: unknown[], at: { n: number; o: number }): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let k = 0; k < l.keys.length; k++) {
    const kind = l.kinds[k]!;
    row[l.keys[k]!] = kind === 'n' ? numbers[at.n++] : kind === 'o' ? others[at.o++] : get(kind, numbers, others, at);
  }
  return row;
}

/** An object like `src` whose field `key` is kept packed; its other fields are `src`'s values, in src's key order. */
class WithPackedField {
  readonly #rows: PackedRows;

  static readonly #field: PropertyDescriptor = {
    enumerable: true,
    get(this: WithPackedField): Record<string, unknown>[] {
      return this.#rows.unpack();
    },
  };

  constructor(src: Record<string, unknown>, key: string, rows: readonly Record<string, unknown>[]) {
    this.#rows = new PackedRows(rows);
    for (const k of Object.keys(src)) {
      if (k === key) Object.defineProperty(this, k, WithPackedField.#field);
      else (this as Record<string, unknown>)[k] = src[k];
    }
  }
}

/**
 * `src` with its array field `key` packed, or `src` itself when that field is not an array of
 * plain objects. Meant for what StringPool.compact returned: plain data, numbers finite, strings
 * and shared values already pooled. Its other fields are copied as they are, and stay writable.
 */
export function packRows<T extends object, K extends keyof T & string>(src: T, key: K): T {
  const rows = (src as Record<string, unknown>)[key];
  if (!isPlain(src) || !Array.isArray(rows) || !rows.every(isPlain)) return src;
  // Same fields, same values, read through: the reader sees T.
  return new WithPackedField(src as Record<string, unknown>, key, rows as Record<string, unknown>[]) as unknown as T;
}
