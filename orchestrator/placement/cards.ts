// Which of a node's accelerators a request may use, and which it takes: shared by the accelerator
// filters and by the walker, so the cards a filter counted are the cards placement gives.
import type { PlacementContext } from './plugin.ts';
import type { PlacementRequest } from './request.ts';
import type { PlacementAccelerator, PlacementNode } from './types.ts';

/** Free, or (in the preemption search) held by preemptible work of lower priority. */
export function usable(a: PlacementAccelerator, ctx: PlacementContext): boolean {
  const held = a.allocatedTo;
  if (!held) return true;
  return ctx.preempt && held.preemptible && held.priority < ctx.req.priority;
}

/** Vendor, domestic and memory constraints, whether or not the card is taken. */
export function qualifies(a: PlacementAccelerator, req: PlacementRequest): boolean {
  if (req.domesticOnly && !a.domestic) return false;
  if (req.vendors !== null && !req.vendors.has(a.vendor)) return false;
  return a.memoryMib >= req.memoryMibPerAccelerator;
}

export function fp16Qualifies(a: PlacementAccelerator, req: PlacementRequest): boolean {
  if (req.minFp16Tflops <= 0) return true;
  const tflops = req.basis === 'measured' ? a.measuredTflops : a.nominalTflops;
  return tflops !== undefined && tflops >= req.minFp16Tflops;
}

/**
 * The accelerators to take: free ones first, then those of the lowest-priority victims; among
 * equals domestic first, then the lowest index. Fewer than asked when the node cannot give them.
 */
export function chooseAccelerators(node: PlacementNode, ctx: PlacementContext): PlacementAccelerator[] {
  const need = ctx.req.accelerators;
  if (need === 0) return [];
  const pool: PlacementAccelerator[] = [];
  for (const a of node.accelerators) if (usable(a, ctx) && qualifies(a, ctx.req) && fp16Qualifies(a, ctx.req)) pool.push(a);
  if (pool.length > 1) pool.sort((a, b) => (a.allocatedTo?.priority ?? -1) - (b.allocatedTo?.priority ?? -1) || Number(b.domestic) - Number(a.domestic) || a.index - b.index);
  return pool.length > need ? pool.slice(0, need) : pool;
}
