// Small readers shared by the parsers of the vendor tools' tables. Most vendor tools copy the
// nvidia-smi box layout: a device is a run of "| a | b | c |" rows between "+---+" rules.
import { FormatError } from './types.ts';

/** The data rows of a box table, grouped into blocks between rule lines; cells are trimmed. */
export function boxBlocks(text: string): string[][][] {
  const blocks: string[][][] = [];
  let current: string[][] = [];
  const flush = () => {
    if (current.length) blocks.push(current);
    current = [];
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.startsWith('+') || /^\|[-=+| ]*\|?$/.test(line)) {
      flush();
      continue;
    }
    if (!line.startsWith('|')) {
      flush();
      continue;
    }
    current.push(line.split('|').slice(1, line.endsWith('|') ? -1 : undefined).map((c) => c.trim()));
  }
  flush();
  return blocks;
}

/** "0MiB / 98304MiB", "60278/65536 MiB", "0 MiB/ 23374 MiB", "2703 / 8192" → total. */
export function totalOfUsedTotal(cell: string | undefined): { used: number; total: number } | undefined {
  const m = cell?.match(/(\d+(?:\.\d+)?)\s*(?:MiB|MB)?\s*\/\s*(\d+(?:\.\d+)?)\s*(?:MiB|MB)?/);
  if (!m) return undefined;
  return { used: Number(m[1]), total: Number(m[2]) };
}

/** Reads "Key   : value" lines (any indent); the first occurrence of a key wins. */
export function keyValues(lines: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const m = line.match(/^\s*([^:]+?)\s*:\s*(.*?)\s*$/);
    if (m && !map.has(m[1]!)) map.set(m[1]!, m[2]!);
  }
  return map;
}

/** Identifiers that tools or their publishers masked ("02Kxxx", "<redacted>", zero UUIDs). */
export function isMasked(v: string): boolean {
  return /x{3,}|redacted|^[0-]+$|^GPU-[0-]+$/i.test(v);
}

/** Values tools print for "no value". */
export function present(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || /^\[?(N\/A|Not Supported|None|-)\]?$/i.test(t)) return undefined;
  return t;
}

/** A value that is an identifier only when a tool did not mask it. */
export function identifier(v: string | undefined): string | undefined {
  const p = present(v);
  return p && !isMasked(p) ? p : undefined;
}

/** Splits one CSV line, honouring double quotes. */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

export function toInt(s: string | undefined, what: string): number {
  const n = Number(s?.trim());
  if (!Number.isInteger(n) || n < 0) throw new FormatError(`${what} "${s ?? ''}" is not a non-negative integer`);
  return n;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(`${what} is not JSON (starts "${text.trim().slice(0, 40)}")`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field of a decoded JSON object, or undefined. */
export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** The failure marker a tool printed in any cell of a device's rows ("ERR!"), if any. */
export function failureIn(block: readonly (readonly string[])[], marker: RegExp = /ERR!/): string | undefined {
  for (const cell of block.flat()) {
    const m = cell.match(marker);
    if (m) return m[0];
  }
  return undefined;
}

/** "0x233510DE" (device 2335 of vendor 10DE, as nvidia-smi and xpu-smi print it) → "0x2335". */
export function deviceIdOfCombined(v: string | undefined): string | undefined {
  return v && /^0x[0-9a-f]{8}$/i.test(v) ? `0x${v.slice(2, 6).toLowerCase()}` : undefined;
}
