// What a node looks like to SCADA: readings a tool does not give are null (never 0), measured
// FP16 comes from the bench by card, and RTT metrics are the landmarks' only.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../orchestrator/registry.ts';
import { deviceMetrics, nodeMetrics } from '../../../orchestrator/sparkplug/metrics.ts';
import { birth } from '../../helpers/envelopes.ts';

function node() {
  const r = new Registry();
  const n = r.touch('n1', 'fz-mawei-plant-3', 's1');
  r.setBirth(n, birth());
  return n;
}

const value = (ms: { name: string; value: unknown }[], name: string) => ms.find((m) => m.name === name)?.value;

describe('Sparkplug metrics of a node', () => {
  it('before telemetry: live readings null, nominal summed, measured null', () => {
    const n = node();
    const ms = nodeMetrics(n);
    expect(value(ms, 'CPU/Utilisation %')).toBeNull();
    expect(value(ms, 'FP16 TFLOPS/Nominal')).toBeCloseTo(280 + 989.5, 6);
    expect(value(ms, 'FP16 TFLOPS/Measured')).toBeNull();
    expect(ms.some((m) => m.name.startsWith('RTT/'))).toBe(false);
  });

  it('per card: absent readings are null, present ones carried; measured by bench target', () => {
    const n = node();
    n.telemetry = {
      cpuPct: 3, memoryUsedPct: 4, load1: 0, runningWorkloads: 1, acceleratorErrors: [], atMs: 1,
      accelerators: [{ index: 0, utilPct: 55, temperatureC: 61, powerW: 250, memoryUsedMib: 1024.4, health: 'ok' }, { index: 1, health: 'warning' }],
    };
    n.bench = { atMs: 1, results: [{ target: 'acc:1', backend: 'x', fp16: { tflops: 700, basis: 'fp16', source: 'bench', kind: 'measured', weak: false }, rawTflops: 700, precision: 'fp16', latencyP50Ms: 1, latencyP99Ms: 1, ratioToNominal: 0.7, shape: '', versions: {}, atMs: 1, durationMs: 1 }] };
    const [a0, a1] = deviceMetrics(n);
    expect(a0!.id).toBe('acc0');
    expect(value(a0!.metrics, 'Utilisation %')).toBe(55);
    expect(value(a0!.metrics, 'Memory Used MiB')).toBe(1024);
    expect(value(a0!.metrics, 'FP16 TFLOPS/Measured')).toBeNull();
    expect(value(a1!.metrics, 'Utilisation %')).toBeNull();
    expect(value(a1!.metrics, 'Temperature C')).toBeNull();
    expect(value(a1!.metrics, 'Power W')).toBeNull();
    expect(value(a1!.metrics, 'Health')).toBe('warning');
    expect(value(a1!.metrics, 'FP16 TFLOPS/Measured')).toBe(700);
    expect(value(nodeMetrics(n), 'FP16 TFLOPS/Measured')).toBe(700);
  });

  it('RTT to landmarks (p50 and loss), not to peers or the orchestrator; p50 null when nothing came back', () => {
    const n = node();
    const stats = { p90Ms: 0, p99Ms: 0, jitterMs: 0, minMs: 0 };
    n.latency = {
      windowMs: 1000, atMs: 1,
      targets: [
        { target: 'fz-gulou-dc-1', targetKind: 'landmark', p50Ms: 2.5, loss: 0.1, sent: 10, received: 9, ...stats },
        { target: 'fz-minhou-dc-1', targetKind: 'landmark', p50Ms: 0, loss: 1, sent: 10, received: 0, ...stats },
        { target: 'peer-9', targetKind: 'peer', p50Ms: 1, loss: 0, sent: 10, received: 10, ...stats },
        { target: 'orchestrator', targetKind: 'orchestrator', p50Ms: 1, loss: 0, sent: 10, received: 10, ...stats },
      ],
    };
    const rtt = nodeMetrics(n).filter((m) => m.name.startsWith('RTT/'));
    expect(rtt.map((m) => [m.name, m.value])).toEqual([
      ['RTT/fz-gulou-dc-1/p50 ms', 2.5],
      ['RTT/fz-gulou-dc-1/Loss %', 10],
      ['RTT/fz-minhou-dc-1/p50 ms', null],
      ['RTT/fz-minhou-dc-1/Loss %', 100],
    ]);
  });
});
