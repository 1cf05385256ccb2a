// A latency SLO must point somewhere the orchestrator knows: an unknown site or landmark is refused
// at submit (with the closest known names), not left pending with "no RTT estimate yet".
import type { LatencyModel } from '../latency/model.ts';
import { didYouMean } from '../suggest.ts';
import type { SpecError } from './spec.ts';

type Known = Pick<LatencyModel, 'knows' | 'names'>;

export function unknownTargetErrors(body: unknown, latency: Known): SpecError[] {
  const to = (body as { latency?: { to?: unknown } } | null)?.latency?.to;
  if (typeof to !== 'object' || to === null) return [];
  for (const kind of ['site', 'landmark'] as const) {
    const name = (to as Record<string, unknown>)[kind];
    if (typeof name !== 'string' || name === '') continue;
    const target = kind === 'site' ? { site: name } : { landmark: name };
    if (latency.knows(target)) return [];
    return [
      {
        path: `/latency/to/${kind}`,
        message: `unknown ${kind} '${name}'${didYouMean(name, latency.names())}; GET /v1/fleet/summary and the dashboard's map show the known sites, or give {lat, lon}`,
      },
    ];
  }
  return [];
}
