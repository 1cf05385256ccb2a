// The target card's power while its benchmark runs, read through the same vendor telemetry call
// the agent reports with, every `everyMs`. Average over the readings the tool gave; none means
// no measurement (absent, never 0).
import type { BenchResult } from '../../protocol/messages.ts';
import { tflopsPerWatt } from '../../protocol/fp16.ts';

/** One reading of a card's power draw in watts; undefined when the tool gave none this time. */
export type PowerReader = () => Promise<number | undefined>;

export interface PowerMeter {
  /** Stops reading; the average of the readings so far (waits for the first one if none has come yet). */
  stop(): Promise<number | undefined>;
}

export const DEFAULT_POWER_EVERY_MS = 500;

export function startPowerMeter(read: PowerReader, everyMs = DEFAULT_POWER_EVERY_MS): PowerMeter {
  let sum = 0;
  let count = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | null = null;
  const once = async () => {
    try {
      const w = await read();
      if (typeof w === 'number' && Number.isFinite(w) && w > 0) {
        sum += w;
        count++;
      }
    } catch {
      // a failed reading is a missing one
    }
  };
  // The next read starts only after the previous one ended: a slow tool never piles up calls.
  const tick = () => {
    inFlight = once().finally(() => {
      inFlight = null;
      if (!stopped) timer = setTimeout(tick, everyMs);
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (count === 0 && inFlight) await inFlight;
      return count > 0 ? Math.round((sum / count) * 10) / 10 : undefined;
    },
  };
}

/** The result with its average card power and measured FP16-eq TFLOPS per watt, when power was measured. */
export function withPower(result: BenchResult, avgPowerW: number | undefined): BenchResult {
  if (avgPowerW === undefined) return result;
  const perWatt = tflopsPerWatt(result.fp16.tflops, avgPowerW);
  return { ...result, avgPowerW, ...(perWatt !== undefined ? { tflopsPerWatt: perWatt } : {}) };
}
