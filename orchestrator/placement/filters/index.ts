// The filters in the order they run: cheapest first, the one that asks the latency model last.
import type { FilterPlugin } from '../plugin.ts';
import { accelerators } from './accelerators.ts';
import { excluded } from './excluded.ts';
import { fp16Capacity } from './fp16-capacity.ts';
import { labels } from './labels.ts';
import { latencySlo } from './latency-slo.ts';
import { onlineFresh } from './online-fresh.ts';

export const FILTERS: readonly FilterPlugin[] = [onlineFresh, excluded, labels, accelerators, fp16Capacity, latencySlo];
export { effectiveRtt } from './latency-slo.ts';
