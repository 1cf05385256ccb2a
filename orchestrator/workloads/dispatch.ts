// Dispatch: the `run` and `stop` commands a pinned workload causes, and the wait for the agent's
// ack. Each run gets a fresh correlation id; an ack (or a workload event) clears its timer, and
// silence past the timeout is reported so the lifecycle can try the next candidate.
import { randomUUID } from 'node:crypto';
import { encodeSpecJson } from '../../protocol/run-spec.ts';
import type { NodeCommander } from '../core.ts';
import type { Workload } from './workload.ts';

export type Dispatcher = NodeCommander;

/** How long an agent has to let go of a workload it is told to stop. */
const STOP_GRACE_MS = 5000;

export class Dispatch {
  private readonly ackTimers = new Map<string, NodeJS.Timeout>();
  /** correlation id -> workload id */
  private readonly byCorrelationId = new Map<string, string>();

  constructor(
    private readonly commander: NodeCommander,
    private readonly ackTimeoutMs: number,
  ) {}

  /** Tells w's node to run it; `failed` is called once if the node cannot be reached or does not ack in time. */
  run(w: Workload, failed: (why: string) => void): void {
    this.forget(w);
    w.correlationId = randomUUID();
    this.send(w, true, failed);
  }

  /**
   * Sends w's last dispatch again under the same correlation id (a new leader), so the agent
   * answers where it stands; a placed one not answered in time is reported as `run` does.
   */
  resend(w: Workload, failed: (why: string) => void): void {
    this.send(w, w.state === 'placed', failed);
  }

  private send(w: Workload, awaitAck: boolean, failed: (why: string) => void): void {
    const nodeId = w.nodeId!;
    const correlationId = w.correlationId!;
    this.byCorrelationId.set(correlationId, w.id);
    this.clearAck(w.id);
    if (awaitAck) {
      const timer = setTimeout(() => failed(`node ${nodeId} did not ack within ${this.ackTimeoutMs} ms`), this.ackTimeoutMs);
      timer.unref();
      this.ackTimers.set(w.id, timer);
    }
    const run = { workloadId: w.id, specJson: encodeSpecJson(w.spec), acceleratorIndexes: w.acceleratorIndexes };
    this.commander.command(nodeId, { action: 'run', run }, correlationId).catch((e: Error) => {
      failed(`could not send to ${nodeId}: ${e.message}`);
    });
  }

  /** Tells a node to stop a workload; best effort (a node that is away is reconciled when it returns). */
  stop(nodeId: string, workloadId: string): void {
    void this.commander.command(nodeId, { action: 'stop', stop: { workloadId, graceMs: STOP_GRACE_MS } }).catch(() => undefined);
  }

  /** The workload id a correlation id was issued for, if it is still the current one. */
  workloadFor(correlationId: string): string | undefined {
    return this.byCorrelationId.get(correlationId);
  }

  /** A stored workload's outstanding correlation id, after a restart. */
  remember(w: Workload): void {
    if (w.correlationId) this.byCorrelationId.set(w.correlationId, w.id);
  }

  /** The workload is done: its correlation id no longer routes acks. */
  forget(w: Workload): void {
    if (w.correlationId) this.byCorrelationId.delete(w.correlationId);
  }

  clearAck(workloadId: string): void {
    const t = this.ackTimers.get(workloadId);
    if (t) clearTimeout(t);
    this.ackTimers.delete(workloadId);
  }

  close(): void {
    for (const t of this.ackTimers.values()) clearTimeout(t);
    this.ackTimers.clear();
  }
}
