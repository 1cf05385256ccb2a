// The filters in the order they run: cheapest first, the one that asks the latency model next to
// last; spread runs last, so what it removes are nodes that would otherwise fit.
import type { FilterPlugin } from '../plugin.ts';
import { accelerators } from './accelerators.ts';
import { excluded } from './excluded.ts';
import { fp16Capacity } from './fp16-capacity.ts';
import { labels } from './labels.ts';
import { latencySlo } from './latency-slo.ts';
import { onlineFresh } from './online-fresh.ts';
import { spread } from './spread.ts';

export const FILTERS: readonly FilterPlugin[] = [onlineFresh, excluded, labels, accelerators, fp16Capacity, latencySlo, spread];
export { effectiveRtt } from './latency-slo.ts';
