// One valid example of every message, for round-trip and ingest tests.
import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION, type Body, type Envelope, type Accelerator, type Birth } from '../../protocol/messages.ts';

export function accelerator(over: Partial<Accelerator> = {}): Accelerator {
  return {
    vendor: 'huawei',
    model: 'Ascend 910B',
    index: 0,
    uuid: '',
    pciBusId: '0000:c1:00.0',
    pciId: '19e5:d802',
    memoryMib: 65536,
    driverVersion: '23.0.3',
    firmwareVersion: '7.1.0.3.220',
    health: 'ok',
    domestic: true,
    nominal: { tflops: 280, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false },
    detectedBy: 'npu-smi',
    note: '',
    ...over,
  };
}

export function birth(over: Partial<Birth> = {}): Birth {
  return {
    host: { hostname: 'edge-1', os: 'Debian 12', arch: 'x64', cpuModel: 'Xeon', cpuCores: 32, memoryMib: 262144 },
    labels: { tier: 'edge' },
    location: { lat: 26.0, lon: 119.3, site: 'fz-mawei-plant-3', district: 'mawei', siteKind: 'factory' },
    accelerators: [accelerator(), accelerator({ index: 1, vendor: 'nvidia', model: 'NVIDIA H200', domestic: false, nominal: { tflops: 989.5, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } })],
    agentVersion: '0.1.0',
    runningWorkloads: ['w-1'],
    telemetryIntervalMs: 5000,
    probeAddress: '10.0.0.1:7946',
    ...over,
  };
}

export const BODIES: Body[] = [
  { body: 'birth', birth: birth() },
  { body: 'state', state: { status: 'ONLINE' } },
  {
    body: 'telemetry',
    telemetry: {
      cpuPct: 12.5,
      memoryUsedPct: 40,
      load1: 0.7,
      runningWorkloads: 1,
      accelerators: [
        { index: 0, utilPct: 55, memoryUsedMib: 1024, temperatureC: 61, powerW: 250, memoryTotalMib: 144384, powerLimitW: 700, health: 'ok' },
        { index: 1, health: 'unknown' },
      ],
      acceleratorErrors: ['npu-smi timed out after 2 s'],
      diskFreeMib: 1000,
      diskTotalMib: 2000,
      netRxBytesPerS: 10.5,
      netTxBytesPerS: 3,
    },
  },
  {
    body: 'bench',
    bench: {
      results: [
        {
          target: 'acc:0',
          backend: 'torch',
          fp16: { tflops: 250.1, basis: 'fp16', source: 'torch 2.4 8192^3', kind: 'measured', weak: false },
          rawTflops: 250.1,
          precision: 'fp16',
          latencyP50Ms: 0.21,
          latencyP99Ms: 0.35,
          ratioToNominal: 0.893,
          shape: '8192x8192x8192',
          versions: { torch: '2.4.0', driver: '23.0.3' },
          atMs: 1_790_000_000_000,
          durationMs: 12000,
        },
      ],
    },
  },
  {
    body: 'latency',
    latency: {
      windowMs: 60000,
      targets: [
        { target: 'exchange-gw:443', targetKind: 'landmark', p50Ms: 1.2, p90Ms: 1.8, p99Ms: 3.1, jitterMs: 0.2, loss: 0.01, sent: 100, received: 99, minMs: 0.9 },
      ],
    },
  },
  { body: 'cmd', cmd: { correlationId: 'c-1', action: 'run', run: { workloadId: 'w-1', specJson: '{"name":"x"}', acceleratorIndexes: [0, 1] } } },
  { body: 'cmd', cmd: { correlationId: 'c-2', action: 'stop', stop: { workloadId: 'w-1', graceMs: 5000 } } },
  { body: 'cmd', cmd: { correlationId: 'c-3', action: 'ping', ping: 'p-1' } },
  { body: 'cmd', cmd: { correlationId: 'c-4', action: 'probe', probe: { targets: ['10.0.0.1:443'], count: 5, peers: [{ nodeId: 'edge-2', address: '10.0.0.2:7946' }] } } },
  { body: 'event', event: { correlationId: 'c-1', kind: 'ack', ack: { ok: true, error: '' } } },
  {
    body: 'event',
    event: {
      correlationId: 'c-1',
      kind: 'workload',
      workload: { workloadId: 'w-1', state: 'running', exitCode: 0, pid: 4242, message: '', attempt: 1, outputTail: 'hello' },
    },
  },
  { body: 'event', event: { correlationId: 'c-3', kind: 'pong', pong: 'p-1' } },
];

let seq = 0;
export function envelope(body: Body, over: Partial<Envelope> = {}): Envelope {
  return {
    schemaVersion: SCHEMA_VERSION,
    msgId: randomUUID(),
    nodeId: 'node-a',
    sessionId: 's-1',
    seq: ++seq,
    sentAtMs: 1_790_000_000_000,
    ...body,
    ...over,
  } as Envelope;
}
