// The seams between the agent and the machine. The real agent plugs in detectors and
// node:os and /proc (agent/host.ts); the simulators plug in scenario-driven fakes. Nothing above these
// interfaces knows which it got.
import type { Accelerator, AcceleratorSample, Host, Telemetry } from '../protocol/messages.ts';

export interface DetectResult {
  accelerators: Accelerator[];
  /** Human-readable, each naming the tool and what went wrong: "npu-smi timed out after 3 s". */
  warnings: string[];
}

export interface AcceleratorSource {
  detect(): Promise<DetectResult>;
  /**
   * A cheap summary of what is plugged in (e.g. the PCI accelerator functions), polled by the
   * agent: when it changes, the agent detects again and re-announces itself. Optional.
   */
  fingerprint?(): Promise<string>;
  /**
   * Per-card readings of the cards the last detect() found, from their vendor tools; bounded in
   * time (a hung tool's cards are left out and `errors` says why). Optional: without it the
   * host sample's accelerators are sent (simulated fleets put per-card load there).
   */
  sample?(): Promise<AcceleratorReadings>;
}

export interface AcceleratorReadings {
  accelerators: AcceleratorSample[];
  /** "nvidia-smi timed out after 2 s; is the driver loaded, or is a device hung?" */
  errors: string[];
}

/** A telemetry body less what the agent itself knows (its running workloads). */
export type HostSample = Omit<Telemetry, 'runningWorkloads'>;

export interface HostSource {
  facts(): Promise<Host>;
  sample(): Promise<HostSample>;
}
