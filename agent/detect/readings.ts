// The shape every vendor's per-card telemetry shares: which tool call gives the readings, and a
// pure parser from its stdout to readings or an error (never a throw). A reading the tool does not
// give stays absent, never 0 (AcceleratorSample's rule).
import type { Health } from '../../protocol/messages.ts';
import type { VendorId } from '../../protocol/vendors.ts';
import { present } from './text.ts';

/** One card's readings as the tool prints them, keyed by the tool's own index (and bus id where printed). */
export interface CardReading {
  vendorIndex: number;
  busId?: string;
  utilPct?: number;
  memoryUsedMib?: number;
  memoryTotalMib?: number;
  temperatureC?: number;
  powerW?: number;
  powerLimitW?: number;
  health: Health;
}

export type ReadingsResult = { ok: true; cards: CardReading[] } | { ok: false; error: string };

export interface TelemetryCall {
  tool: string;
  args: readonly string[];
  parse(stdout: string): ReadingsResult;
}

/** The cards one detector found with one tool, as the telemetry call needs them. */
export interface DetectedCards {
  /** The tool that detected them (Accelerator.detectedBy): "rocm-smi" or "hy-smi", "xpu-smi" or "xpu_smi". */
  tool: string;
  vendorIndexes: readonly number[];
}

export interface VendorTelemetry {
  vendor: VendorId;
  /** The one call that reads these cards, or undefined when that tool gives no per-card readings we parse. */
  call(cards: DetectedCards): TelemetryCall | undefined;
}

/** Runs a parser that signals bad input by throwing; any throw becomes an error value naming it. */
export function readingsOf(what: string, parse: (stdout: string) => CardReading[]): (stdout: string) => ReadingsResult {
  return (stdout) => {
    try {
      return { ok: true, cards: parse(stdout) };
    } catch (e) {
      return { ok: false, error: `${what}: output not understood (${(e as Error).message}); has the tool changed format?` };
    }
  };
}

/**
 * A number from a tool's cell ("77.71", "77.71 W", "46 C", "[N/A]", "N/A W"): undefined when the
 * tool says it has none. Negative or non-numeric text is also none: tools print "-" or "ERR!".
 */
export function reading(cell: string | undefined): number | undefined {
  const p = present(cell?.replace(/\s*(MiB|MB|%|W|C|°C|Celsius Degree)$/i, ''));
  if (p === undefined) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)\s*(?:MiB|MB|%|W|C|c)?$/.exec(p);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Drops the absent readings, so a sample never carries `undefined` keys. */
export function compact(r: CardReading): CardReading {
  const out: CardReading = { vendorIndex: r.vendorIndex, health: r.health };
  if (r.busId !== undefined) out.busId = r.busId;
  for (const k of ['utilPct', 'memoryUsedMib', 'memoryTotalMib', 'temperatureC', 'powerW', 'powerLimitW'] as const) {
    const v = r[k];
    if (v !== undefined && Number.isFinite(v)) out[k] = v;
  }
  return out;
}
