// Energy: the card's power is read through its vendor telemetry call while its benchmark runs;
// the result carries the average and measured FP16-eq TFLOPS per watt. No reading, no figure.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commandBackend } from '../../../agent/bench/command/backend.ts';
import { startPowerMeter } from '../../../agent/bench/power.ts';
import { runBenchmarks } from '../../../agent/bench/run.ts';
import type { BenchBackend } from '../../../agent/bench/types.ts';
import { ToolAcceleratorSource } from '../../../agent/detect/index.ts';
import type { BenchResult } from '../../../protocol/messages.ts';
import { prepareSimulatedHost, type SimulatedHost } from '../../../simulators/hardware/host.ts';
import { accelerator } from './accelerators.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/bench/site-bench.mjs', import.meta.url));
const hosts: SimulatedHost[] = [];
afterAll(() => {
  for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
});

/** A backend that takes `ms` and measures `tflops`, for either kind of target. */
function slowBackend(name: 'command' | 'cpu', ms: number, tflops: number): BenchBackend {
  return {
    name,
    available: async () => ({ ok: true }),
    run: async (target) => {
      await new Promise((r) => setTimeout(r, ms));
      const r: BenchResult = {
        target: target.id, backend: name, fp16: { tflops, basis: 'fp16', source: 'test', kind: 'measured', weak: false },
        rawTflops: tflops, precision: 'fp16', latencyP50Ms: 1, latencyP99Ms: 2, ratioToNominal: 0, shape: 'test', versions: {}, atMs: Date.now(), durationMs: ms,
      };
      return r;
    },
  };
}

describe('power meter', () => {
  it('averages the readings the tool gave and skips the missing ones', async () => {
    const script = [200, undefined, 300, 400];
    let i = 0;
    const meter = startPowerMeter(async () => script[i++ % script.length], 20);
    await new Promise((r) => setTimeout(r, 200));
    const avg = await meter.stop();
    const n = i; // readings taken
    const seen = Array.from({ length: n }, (_, k) => script[k % 4]).filter((v): v is number => v !== undefined);
    expect(avg).toBe(Math.round((seen.reduce((a, b) => a + b, 0) / seen.length) * 10) / 10);
    await new Promise((r) => setTimeout(r, 60));
    expect(i).toBe(n); // stopped means stopped
  });

  it('no reading at all is no figure, not 0; a failing reader is a missing reading', async () => {
    expect(await startPowerMeter(async () => undefined, 10).stop()).toBeUndefined();
    expect(await startPowerMeter(async () => Promise.reject(new Error('nvidia-smi timed out')), 10).stop()).toBeUndefined();
  });

  it('waits for the first reading when the run ends before it came', async () => {
    const meter = startPowerMeter(() => new Promise((r) => setTimeout(() => r(321), 80)), 500);
    expect(await meter.stop()).toBe(321);
  });
});

describe('benchmark energy figures', () => {
  it('an accelerator run gets avgPowerW and tflopsPerWatt; the CPU run gets neither', async () => {
    const asked: number[] = [];
    const run = await runBenchmarks({
      accelerators: [accelerator({ index: 3 })],
      backends: [slowBackend('command', 300, 100), slowBackend('cpu', 50, 1)],
      powerEveryMs: 25,
      powerOf: async (index) => {
        asked.push(index);
        return 250;
      },
    });
    const byTarget = Object.fromEntries(run.results.map((r) => [r.target, r]));
    expect(byTarget['acc:3']).toMatchObject({ avgPowerW: 250, tflopsPerWatt: 0.4 });
    expect(byTarget['cpu']).not.toHaveProperty('avgPowerW');
    expect(byTarget['cpu']).not.toHaveProperty('tflopsPerWatt');
    expect(new Set(asked)).toEqual(new Set([3]));
    expect(asked.length).toBeGreaterThan(3);
  });

  it('no power reading: the result has no energy figures', async () => {
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 0 })], includeCpu: false, backends: [slowBackend('command', 100, 100)], powerOf: async () => undefined, powerEveryMs: 20 });
    expect(run.results[0]).not.toHaveProperty('avgPowerW');
    expect(run.results[0]).not.toHaveProperty('tflopsPerWatt');
  });

  it('on a simulated H200 the power comes from the fake nvidia-smi: 350 W, 100 TFLOPS → 0.2857 TFLOPS/W', async () => {
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 1, powerW: 350 } } });
    hosts.push(host);
    const source = new ToolAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot, timeoutMs: 8000, telemetryTimeoutMs: 5000 });
    const { accelerators } = await source.detect();
    const run = await runBenchmarks({
      accelerators,
      includeCpu: false,
      backends: [commandBackend({ argv: [process.execPath, SCRIPT, '{index}'], env: { ...process.env, FAKE_BENCH_MODE: 'ok' } })],
      powerOf: async (index) => (await source.sample()).accelerators.find((a) => a.index === index)?.powerW,
    });
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ target: 'acc:0', rawTflops: 100, avgPowerW: 350, tflopsPerWatt: 0.2857 });
  });
});
