// The score plugins, in the order their weighted scores are summed (the order is part of the
// arithmetic: bounds are summed in the same order, so a node's bound never rounds below its total).
import type { ScorePlugin } from '../plugin.ts';
import { domestic } from './domestic.ts';
import { green } from './green.ts';
import { latency } from './latency.ts';
import { packing } from './packing.ts';

export const SCORES: readonly ScorePlugin[] = [latency, packing, domestic, green];
export { greenScoreOf } from './green.ts';
export { latencyScoreOf } from './latency.ts';
