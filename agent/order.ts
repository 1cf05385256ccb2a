// How the agent sorts ids: by code point. localeCompare would map ICU's collation data, ~3 MB of
// the agent's resident memory, for ids (bus ids, workload ids) that have no locale anyway.
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
