// The generic probe loop: any async "one round trip" (TCP connect, MQTT ping to the
// orchestrator) becomes RttStats. Bounded in count and rate so a probe never floods a link,
// and every attempt has its own timeout so a black-holed target costs at most count × timeout.
import type { RttStats, RttTargetKind } from '../../protocol/messages.ts';
import { rttStats, type RttSample } from './stats.ts';

/** Measures one round trip in ms; rejects (or is aborted through the signal) when it fails. */
export type RttOnce = (signal: AbortSignal) => Promise<number>;

export interface ProbeOptions {
  target: string;
  targetKind: RttTargetKind;
  rttOnce: RttOnce;
  /** Attempts, 1..MAX_PROBE_COUNT. */
  count?: number;
  /** Gap between attempt starts, ≥ MIN_PROBE_INTERVAL_MS. */
  intervalMs?: number;
  /** Per attempt; a slower answer counts as lost. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each attempt's outcome as it happens (null: lost, with why). */
  onSample?: (rtt: RttSample, error?: string) => void;
}

export const MAX_PROBE_COUNT = 1000;
export const MIN_PROBE_INTERVAL_MS = 10;

export class ProbeAbortedError extends Error {
  override name = 'ProbeAbortedError';
}

export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
}

export async function probe(opts: ProbeOptions): Promise<RttStats> {
  const count = opts.count ?? 10;
  const intervalMs = opts.intervalMs ?? 200;
  const timeoutMs = opts.timeoutMs ?? 1000;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROBE_COUNT) {
    throw new RangeError(`probe count ${count} must be an integer within 1..${MAX_PROBE_COUNT}`);
  }
  if (!(intervalMs >= MIN_PROBE_INTERVAL_MS)) {
    throw new RangeError(`probe interval ${intervalMs} ms is below the ${MIN_PROBE_INTERVAL_MS} ms rate limit`);
  }
  if (!(timeoutMs > 0)) throw new RangeError('probe timeoutMs must be positive');

  const samples: RttSample[] = [];
  for (let i = 0; i < count; i++) {
    throwIfAborted(opts.signal, opts.target);
    const started = performance.now();
    try {
      const rtt = await attempt(opts.rttOnce, timeoutMs, opts.signal);
      if (!Number.isFinite(rtt) || rtt < 0) throw new Error(`rttOnce returned ${rtt}, not a duration in ms`);
      samples.push(rtt);
      opts.onSample?.(rtt);
    } catch (e) {
      throwIfAborted(opts.signal, opts.target);
      samples.push(null);
      opts.onSample?.(null, (e as Error).message);
    }
    if (i < count - 1) await sleep(intervalMs - (performance.now() - started), opts.signal);
  }
  return rttStats(opts.target, opts.targetKind, samples);
}

/** Runs one attempt with its own abort signal, cut at timeoutMs or when the caller aborts. */
async function attempt(rttOnce: RttOnce, timeoutMs: number, outer?: AbortSignal): Promise<number> {
  const ctl = new AbortController();
  const onOuter = () => ctl.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ProbeTimeoutError(`no answer within ${timeoutMs} ms`);
      ctl.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([rttOnce(ctl.signal), timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    ctl.abort();
  }
}

function throwIfAborted(signal: AbortSignal | undefined, target: string): void {
  if (signal?.aborted) throw new ProbeAbortedError(`probe of ${target} was cancelled`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
