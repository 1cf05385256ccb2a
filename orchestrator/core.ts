// The orchestrator as its parts see it (loss classification, peer probes, live views): what
// happens, the registry, and a way to command a node. Its own module, so those parts depend on
// this surface and not on orchestrator.ts, which composes them.
import type { EventEmitter } from 'node:events';
import type { CommandAction, Envelope } from '../protocol/messages.ts';
import type { RefusalNotice } from './broker-refusals.ts';
import type { Registry, StatusChange } from './registry.ts';
import type { Workload } from './workloads/workload.ts';

/** What happens in the orchestrator, for live views (dashboard, metrics) to follow. */
export interface OrchestratorEvents {
  status: [change: StatusChange];
  rejected: [reason: string, detail: string, topic: string];
  /** A refusal at the embedded broker (rate-limited per reason and client). */
  refused: [notice: RefusalNotice];
  accepted: [env: Envelope];
  workload: [w: Workload];
  /** One placement decision: how long it took and whether a node was found. */
  decision: [ms: number, placed: boolean];
  /** A workload fits nowhere here and may overflow to another city (federation). */
  'overflow-wanted': [w: Workload];
}

/** Sends a command to a node; resolves to its correlation id. */
export interface NodeCommander {
  command(nodeId: string, action: CommandAction, correlationId?: string): Promise<string>;
}

export interface OrchestratorCore extends NodeCommander {
  readonly events: EventEmitter<OrchestratorEvents>;
  readonly registry: Registry;
}
