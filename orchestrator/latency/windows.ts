// The last few RTT samples of every probed pair, for the measured median. A city has tens of
// thousands of pairs, and a JS array per pair costs ~150 bytes however few samples it holds (push
// reserves 17 slots), plus its object: here a pair is a slot in fixed-size pages of a Float64Array,
// a ring of `window` samples, so its cost is the samples themselves.

/** Slots per page: pages are added as pairs are, so growth never copies what is there. */
const PAGE_SLOTS = 4096;

export class SampleWindows {
  private readonly pages: Float64Array[] = [];
  /** Samples held in each slot (≤ window). */
  private readonly counts: Uint32Array[] = [];
  /** Where each slot's oldest sample is. */
  private readonly heads: Uint32Array[] = [];
  private readonly free: number[] = [];
  private used = 0;
  /** Reused by median(), which sorts a copy of a window. */
  private readonly scratch: number[] = [];

  constructor(readonly window: number) {
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`a sample window holds at least one sample, not ${window}`);
  }

  /** A new, empty window. */
  open(): number {
    const slot = this.free.pop() ?? this.used++;
    const page = Math.floor(slot / PAGE_SLOTS);
    if (page === this.pages.length) {
      this.pages.push(new Float64Array(PAGE_SLOTS * this.window));
      this.counts.push(new Uint32Array(PAGE_SLOTS));
      this.heads.push(new Uint32Array(PAGE_SLOTS));
    }
    const i = slot % PAGE_SLOTS;
    this.counts[page]![i] = 0;
    this.heads[page]![i] = 0;
    return slot;
  }

  /** The slot may be reused by the next open(). */
  close(slot: number): void {
    this.counts[Math.floor(slot / PAGE_SLOTS)]![slot % PAGE_SLOTS] = 0;
    this.free.push(slot);
  }

  /** Adds a sample; a full window drops its oldest. */
  push(slot: number, v: number): void {
    const page = Math.floor(slot / PAGE_SLOTS);
    const i = slot % PAGE_SLOTS;
    const counts = this.counts[page]!;
    const heads = this.heads[page]!;
    const base = i * this.window;
    const n = counts[i]!;
    const head = heads[i]!;
    if (n < this.window) {
      this.pages[page]![base + ((head + n) % this.window)] = v;
      counts[i] = n + 1;
    } else {
      this.pages[page]![base + head] = v;
      heads[i] = (head + 1) % this.window;
    }
  }

  /** The median of the slot's samples (NaN when it has none). */
  median(slot: number): number {
    const page = Math.floor(slot / PAGE_SLOTS);
    const i = slot % PAGE_SLOTS;
    const n = this.counts[page]![i]!;
    const samples = this.pages[page]!;
    const base = i * this.window;
    const s = this.scratch;
    s.length = n;
    for (let k = 0; k < n; k++) s[k] = samples[base + k]!;
    s.sort((a, b) => a - b);
    const mid = n >> 1;
    return n % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }
}
