// A registry fed through the real ingest with hand-made envelopes: what a node says, exactly as
// the orchestrator would take it off the wire (encoded, decoded, validated), with no broker.
import { encode } from '../../protocol/codec.ts';
import type { Accelerator, Birth, BenchResult, Body } from '../../protocol/messages.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { Ingest } from '../../orchestrator/ingest.ts';
import { Registry } from '../../orchestrator/registry.ts';
import { accelerator, envelope } from './envelopes.ts';

const ROOT = 'hand-fed/banyan/v1';

export interface HandFed {
  registry: Registry;
  /** Publishes one body as node `nodeId` (session `sessionId`); throws if ingest rejects it. */
  send(nodeId: string, body: Body, opts?: { site?: string; sessionId?: string }): void;
}

export function handFed(): HandFed {
  const registry = new Registry();
  const ingest = new Ingest(ROOT, registry);
  return {
    registry,
    send(nodeId, body, { site = 'fz-mawei-plant-3', sessionId = 's-1' } = {}) {
      const r = ingest.handle(nodeTopic(ROOT, site, nodeId, body.body), encode(envelope(body, { nodeId, sessionId })));
      if (!r.ok) throw new Error(`ingest rejected ${body.body} of ${nodeId}: ${r.reason} ${r.detail}`);
    },
  };
}

/** n cards of one model, each with its own uuid and PCI bus id. */
export function cards(n: number, over: Partial<Accelerator> = {}): Accelerator[] {
  return Array.from({ length: n }, (_, index) =>
    accelerator({ index, uuid: `card-${index}`, pciBusId: `0000:${(0x18 + index).toString(16)}:00.0`, ...over }),
  );
}

export function birthOf(accelerators: Accelerator[], over: Partial<Birth> = {}): Body {
  return {
    body: 'birth',
    birth: {
      host: { hostname: 'edge-1', os: 'Debian 12', arch: 'x64', cpuModel: 'Xeon', cpuCores: 32, memoryMib: 262144 },
      labels: {},
      location: { lat: 26.0, lon: 119.3, site: 'fz-mawei-plant-3', district: 'mawei', siteKind: 'factory' },
      accelerators,
      agentVersion: '0.2.0',
      runningWorkloads: [],
      telemetryIntervalMs: 5000,
      probeAddress: '',
      ...over,
    },
  };
}

/** A benchmark of card `index`: tflops FP16-eq measured, and TFLOPS/W when avgPowerW is given. */
export function benchOf(index: number, tflops: number, avgPowerW?: number): BenchResult {
  return {
    target: `acc:${index}`,
    backend: 'torch',
    fp16: { tflops, basis: 'fp16', source: 'torch 8192^3', kind: 'measured', weak: false },
    rawTflops: tflops,
    precision: 'fp16',
    latencyP50Ms: 0.2,
    latencyP99Ms: 0.3,
    ratioToNominal: 0.8,
    shape: '8192x8192x8192',
    versions: {},
    atMs: 1_790_000_000_000,
    durationMs: 10_000,
    ...(avgPowerW === undefined ? {} : { avgPowerW, tflopsPerWatt: tflops / avgPowerW }),
  };
}
