// Numbers as a person reads them, wherever the orchestrator prints one (tables, report sentences).

/** At most two decimals and no float noise: 12756.764000000006 → 12756.76, 88 → 88. */
export function plainNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(2))) : String(v);
}
