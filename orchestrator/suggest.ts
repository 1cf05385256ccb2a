// "Did you mean …": the closest names to what a user typed, for errors that name what is allowed.
// Edit distance (insert, delete, substitute, swap of neighbours) over short names only.

/** Up to `n` candidates nearest to `word`, nearest first; none when nothing is close. */
export function closest(word: string, candidates: Iterable<string>, n = 3): string[] {
  const w = word.toLowerCase();
  const scored: { name: string; d: number }[] = [];
  for (const name of new Set(candidates)) {
    const d = distance(w, name.toLowerCase());
    // Close enough to be a typo, or the typed word is a part of the name ("mawei" → "fz-mawei-plant-3").
    const near = d <= Math.max(2, Math.floor(Math.max(w.length, name.length) / 3));
    if (near || (w.length >= 3 && name.toLowerCase().includes(w))) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, n).map((s) => s.name);
}

/** "; did you mean 'x' or 'y'?" or '' — ready to append to a message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  if (c.length === 0) return '';
  const quoted = c.map((x) => `'${x}'`);
  return `; did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}?`;
}

function distance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** "'tradin' is not allowed; use one of …; did you mean 'trading'?": an enum refusal, said one way. */
export function notAllowed(value: unknown, allowed: readonly string[], missing = 'the value'): string {
  const got = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? missing;
  return `${got} is not allowed; use one of ${allowed.join(', ')}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`;
}
