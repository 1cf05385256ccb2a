// TypeScript view of banyan.proto, as the codec hands it out (camelCase, longs as numbers,
// enums as strings). Change both together: tests/protocol/codec.test.ts round-trips every message.

export const SCHEMA_VERSION = 1;

export type Fp16Basis = 'fp16' | 'bf16' | 'int8/2' | 'fp8/2' | 'fp32x2' | 'fp64x4' | 'unknown';
export type FigureKind = 'nominal' | 'measured';

export interface Fp16Figure {
  /** Absent when unknown: never a guess presented as fact. */
  tflops?: number;
  basis: Fp16Basis;
  source: string;
  kind: FigureKind;
  /** The basis understates real tensor throughput (fp32x2, fp64x4). */
  weak: boolean;
}

export interface Location {
  lat: number;
  lon: number;
  site: string;
  district: string;
  siteKind: string;
}

export interface Host {
  hostname: string;
  os: string;
  arch: string;
  cpuModel: string;
  cpuCores: number;
  memoryMib: number;
  /** The one-shot inventory; absent when it was not collected. */
  inventory?: HostInventory;
}

export interface Disk {
  name: string;
  model: string;
  sizeBytes: number;
  type: string;
}

export interface Nic {
  name: string;
  mac: string;
  speedMbps: number;
  addresses: string[];
}

export interface HostInventory {
  systemVendor: string;
  systemModel: string;
  systemSerial: string;
  cpuModel: string;
  cpuPhysicalCores: number;
  cpuThreads: number;
  cpuMaxMhz: number;
  memoryMib: number;
  disks: Disk[];
  nics: Nic[];
  os: string;
  kernel: string;
  virtualization: string;
  source: string;
  collectedAtMs: number;
}

export type Health = 'ok' | 'warning' | 'error' | 'unknown';

export interface Accelerator {
  vendor: string;
  model: string;
  index: number;
  uuid: string;
  pciBusId: string;
  pciId: string;
  memoryMib: number;
  driverVersion: string;
  firmwareVersion: string;
  health: Health;
  domestic: boolean;
  nominal: Fp16Figure;
  detectedBy: string;
  note: string;
  tdpW?: number;
  nominalTflopsPerWatt?: number;
}

export interface Birth {
  host: Host;
  labels: Record<string, string>;
  location: Location;
  accelerators: Accelerator[];
  agentVersion: string;
  runningWorkloads: string[];
  telemetryIntervalMs: number;
  /** host:port of the probe responder; '' when none runs. */
  probeAddress: string;
}

export type NodeStatus = 'ONLINE' | 'OFFLINE';

export interface State {
  status: NodeStatus;
}

/** A reading the vendor tool does not give is absent, never 0. */
export interface AcceleratorSample {
  index: number;
  utilPct?: number;
  memoryUsedMib?: number;
  temperatureC?: number;
  powerW?: number;
  memoryTotalMib?: number;
  powerLimitW?: number;
  health: Health;
}

export interface Telemetry {
  cpuPct: number;
  memoryUsedPct: number;
  load1: number;
  accelerators: AcceleratorSample[];
  runningWorkloads: number;
  /** Why some cards have no sample this interval: "nvidia-smi timed out after 2 s". */
  acceleratorErrors: string[];
  diskFreeMib?: number;
  diskTotalMib?: number;
  netRxBytesPerS?: number;
  netTxBytesPerS?: number;
}

export interface BenchResult {
  target: string;
  backend: string;
  fp16: Fp16Figure;
  rawTflops: number;
  precision: string;
  latencyP50Ms: number;
  latencyP99Ms: number;
  ratioToNominal: number;
  shape: string;
  versions: Record<string, string>;
  atMs: number;
  durationMs: number;
  avgPowerW?: number;
  tflopsPerWatt?: number;
}

export interface BenchReport {
  results: BenchResult[];
}

export type RttTargetKind = 'orchestrator' | 'landmark' | 'peer';

export interface RttStats {
  target: string;
  targetKind: RttTargetKind;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  jitterMs: number;
  loss: number;
  sent: number;
  received: number;
  minMs: number;
}

export interface LatencyReport {
  targets: RttStats[];
  windowMs: number;
}

export interface WorkloadRun {
  workloadId: string;
  specJson: string;
  acceleratorIndexes: number[];
}

export interface WorkloadStop {
  workloadId: string;
  graceMs: number;
}

export interface PeerTarget {
  nodeId: string;
  /** host:port of the peer's probe responder. */
  address: string;
}

export interface ProbeRequest {
  /** Landmarks as host:port. */
  targets: string[];
  count: number;
  peers: PeerTarget[];
}

export type CommandAction =
  | { action: 'run'; run: WorkloadRun }
  | { action: 'stop'; stop: WorkloadStop }
  | { action: 'rebench'; rebench: true }
  | { action: 'probe'; probe: ProbeRequest }
  | { action: 'redetect'; redetect: true }
  | { action: 'ping'; ping: string };

/**
 * `leaderEpoch` is the fencing token (protocol/fencing.ts): 0 or absent from an unfenced orchestrator.
 */
export type Command = { correlationId: string; leaderEpoch?: number } & CommandAction;

export type WorkloadState = 'accepted' | 'running' | 'restarting' | 'completed' | 'failed' | 'stopped';

export interface WorkloadStatus {
  workloadId: string;
  state: WorkloadState;
  exitCode: number;
  pid: number;
  message: string;
  attempt: number;
  outputTail: string;
}

export interface Ack {
  ok: boolean;
  error: string;
  /** On a refusal for a stale leader epoch: the highest epoch the agent has seen (0 otherwise). */
  fencedEpoch?: number;
}

export type EventKind =
  | { kind: 'ack'; ack: Ack }
  | { kind: 'workload'; workload: WorkloadStatus }
  | { kind: 'pong'; pong: string };

export type Event = { correlationId: string } & EventKind;

export interface Header {
  schemaVersion: number;
  msgId: string;
  nodeId: string;
  sessionId: string;
  seq: number;
  sentAtMs: number;
}

export type Body =
  | { body: 'birth'; birth: Birth }
  | { body: 'state'; state: State }
  | { body: 'telemetry'; telemetry: Telemetry }
  | { body: 'bench'; bench: BenchReport }
  | { body: 'latency'; latency: LatencyReport }
  | { body: 'cmd'; cmd: Command }
  | { body: 'event'; event: Event };

export type Envelope = Header & Body;
export type BodyKind = Body['body'];
