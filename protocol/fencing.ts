// The fencing rule, one place for both sides: a command carries its orchestrator's leader-lease
// epoch; 0 means unfenced (one orchestrator, or one from before HA) and is always accepted, so old
// orchestrators and agents keep working. Above 0, an agent refuses an epoch below the highest it
// has seen: a deposed leader that wakes up cannot dispatch twice.
export const UNFENCED_EPOCH = 0;

export type FenceVerdict = { ok: true; highest: number } | { ok: false; highest: number; reason: string };

export function checkEpoch(highest: number, epoch: number | undefined): FenceVerdict {
  const e = epoch ?? UNFENCED_EPOCH;
  if (e === UNFENCED_EPOCH) return { ok: true, highest };
  if (e < highest) return { ok: false, highest, reason: `fenced: command from leader epoch ${e}, this node has seen epoch ${highest}` };
  return { ok: true, highest: e };
}
