// Per-card telemetry through the real detection and telemetry code and the fake vendor CLIs:
// every vendor's readings arrive as the scenario sets them; a hung tool costs only its own
// vendor's cards, and never a second process while the first still runs.
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolAcceleratorSource } from '../../../agent/detect/index.ts';
import { CardTelemetry } from '../../../agent/detect/telemetry.ts';
import type { ToolResult, ToolRunner } from '../../../agent/detect/exec.ts';
import type { AcceleratorSample } from '../../../protocol/messages.ts';
import { prepareSimulatedHost, type HardwareScenario, type SimVendor, type SimulatedHost } from '../../../simulators/hardware/host.ts';

const hosts: SimulatedHost[] = [];
afterAll(() => {
  for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
});

async function sourceOn(scenario: HardwareScenario, telemetryTimeoutMs = 5000) {
  const host = await prepareSimulatedHost(scenario);
  hosts.push(host);
  const source = new ToolAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot, timeoutMs: 8000, telemetryTimeoutMs });
  const detected = await source.detect();
  return { host, source, detected };
}

const LOAD = { utilPct: 42, memoryUsedMib: 1000, temperatureC: 55, powerW: 150, powerLimitW: 300 };

type Key = Exclude<keyof AcceleratorSample, 'index' | 'health'>;
const ALL: Key[] = ['utilPct', 'memoryUsedMib', 'memoryTotalMib', 'temperatureC', 'powerW', 'powerLimitW'];

// What each tool prints (the rest stays absent): from the real formats the parsers read.
const CASES: [SimVendor, number, Key[]][] = [
  ['nvidia', 143771, ALL],
  ['amd', 196592, ALL],
  ['intel', 0, ['utilPct', 'memoryUsedMib', 'temperatureC', 'powerW']],
  ['huawei', 65536, ['utilPct', 'memoryUsedMib', 'memoryTotalMib', 'temperatureC', 'powerW']],
  ['cambricon', 23374, ALL],
  ['hygon', 65520, ALL],
  ['kunlunxin', 98304, ALL],
  ['iluvatar', 32768, ALL],
  ['metax', 65536, ['utilPct', 'memoryUsedMib', 'memoryTotalMib', 'temperatureC', 'powerW']],
  ['mthreads', 32768, ['utilPct', 'memoryUsedMib', 'memoryTotalMib', 'temperatureC']],
  ['enflame', 49120, ['utilPct', 'memoryTotalMib', 'temperatureC', 'powerW', 'powerLimitW']],
];

describe('every vendor reports per-card readings through its fake tool', () => {
  it.each(CASES)('%s', async (vendor, total, keys) => {
    const { source, detected } = await sourceOn({ vendors: { [vendor]: { count: 2, devices: { '1': LOAD } } } });
    expect(detected.accelerators).toHaveLength(2);
    const r = await source.sample();
    expect(r.errors).toEqual([]);
    expect(r.accelerators.map((a) => a.index)).toEqual([0, 1]);
    const want: Record<string, number> = { ...LOAD, memoryTotalMib: total };
    const expected = Object.fromEntries(keys.map((k) => [k, want[k]]));
    expect(r.accelerators[1]).toEqual({ index: 1, health: 'ok', ...expected });
  });

  const OTHER_TOOL: [SimVendor, Partial<HardwareScenario>, string, Key[]][] = [
    ['hygon', { missingTools: ['rocm-smi'] }, 'hy-smi', ['utilPct', 'temperatureC', 'powerW', 'powerLimitW']],
    ['kunlunxin', { tools: ['xpu_smi'] }, 'xpu_smi', ['utilPct', 'memoryUsedMib', 'memoryTotalMib']],
  ];
  it.each(OTHER_TOOL)('%s through its other tool (%j)', async (vendor, tools, tool, keys) => {
    const { source, detected } = await sourceOn({ vendors: { [vendor]: { count: 1, ...LOAD } }, ...tools });
    expect(detected.accelerators.map((a) => a.detectedBy)).toEqual([tool]);
    const r = await source.sample();
    expect(r.errors).toEqual([]);
    const want: Record<string, number> = { ...LOAD, memoryTotalMib: detected.accelerators[0]!.memoryMib };
    expect(r.accelerators).toEqual([{ index: 0, health: 'ok', ...Object.fromEntries(keys.map((k) => [k, want[k]])) }]);
  });

  it('AMD and Hygon in one box share rocm-smi: each card gets its own readings', async () => {
    const { source, detected } = await sourceOn({ vendors: { amd: { count: 1, powerW: 321 }, hygon: { count: 1, powerW: 123 } } });
    expect(detected.accelerators.map((a) => [a.index, a.vendor])).toEqual([[0, 'amd'], [1, 'hygon']]);
    const r = await source.sample();
    expect(r.errors).toEqual([]);
    expect(r.accelerators.map((a) => [a.index, a.powerW])).toEqual([[0, 321], [1, 123]]);
  });

  it('each interval is a fresh call: a changed reading shows in the next sample', async () => {
    const { host, source } = await sourceOn({ vendors: { nvidia: { count: 1, utilPct: 10 } } });
    expect((await source.sample()).accelerators[0]?.utilPct).toBe(10);
    writeFileSync(host.scenarioPath, JSON.stringify({ vendors: { nvidia: { count: 1, utilPct: 90 } } }));
    expect((await source.sample()).accelerators[0]?.utilPct).toBe(90);
  });
});

describe('a hung or broken tool', () => {
  it('costs its own cards only, within its timeout, and the error says what to check', async () => {
    const scenario: HardwareScenario = { vendors: { nvidia: { count: 1 }, huawei: { count: 2 } } };
    const { host, source } = await sourceOn(scenario, 2000);
    // The driver hangs after start-up: detection saw the cards, telemetry finds npu-smi stuck.
    writeFileSync(host.scenarioPath, JSON.stringify({ ...scenario, faults: { 'npu-smi': 'hang' } }));
    const t0 = Date.now();
    const r = await source.sample();
    expect(Date.now() - t0).toBeLessThan(2000 + 1500);
    expect(r.accelerators.map((a) => a.index)).toEqual([0]);
    expect(r.errors).toEqual(['npu-smi timed out after 2 s; is the driver loaded, or is a device hung?']);
  });

  it('garbage from one tool is an error naming it; the other cards are read', async () => {
    const scenario: HardwareScenario = { vendors: { nvidia: { count: 1 }, cambricon: { count: 1 } } };
    const { host, source } = await sourceOn(scenario);
    writeFileSync(host.scenarioPath, JSON.stringify({ ...scenario, faults: { 'nvidia-smi': 'garbage' } }));
    const r = await source.sample();
    expect(r.accelerators.map((a) => a.index)).toEqual([1]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^nvidia-smi --query-gpu: output not understood/);
  });

  it('a sample asked while the same call runs (a benchmark reading power) joins it: one process for both', async () => {
    let started = 0;
    const slow: ToolRunner = () => {
      started++;
      return new Promise<ToolResult>((resolve) => setTimeout(() => resolve({ ok: true, stdout: '0, 7, 1, 2, 30, 50.00, 100.00\n', stderr: '' }), 100));
    };
    const telemetry = new CardTelemetry({ env: {}, timeoutMs: 2000, runner: () => slow });
    const cards = [{ index: 0, vendor: 'nvidia' as const, tool: 'nvidia-smi', vendorIndex: 0, pciBusId: '' }];
    const [a, b] = await Promise.all([telemetry.sample(cards), telemetry.sample(cards)]);
    expect(started).toBe(1);
    expect(a).toEqual(b);
    expect(a.accelerators).toEqual([{ index: 0, utilPct: 7, memoryUsedMib: 1, memoryTotalMib: 2, temperatureC: 30, powerW: 50, powerLimitW: 100, health: 'ok' }]);
  });

  it('a call that outlives its timeout (a process stuck in the kernel) is not started again while it runs', async () => {
    let started = 0;
    let finish: (r: ToolResult) => void = () => undefined;
    const stuck: ToolRunner = () => {
      started++;
      return new Promise<ToolResult>((resolve) => (finish = resolve));
    };
    const telemetry = new CardTelemetry({ env: {}, timeoutMs: 100, runner: () => stuck });
    const cards = [{ index: 0, vendor: 'nvidia' as const, tool: 'nvidia-smi', vendorIndex: 0, pciBusId: '' }];
    const first = await telemetry.sample(cards);
    expect(first.errors).toEqual(['nvidia-smi timed out after 0.1 s and has not exited; is the driver loaded, or is a device hung?']);
    const second = await telemetry.sample(cards);
    expect(second.errors[0]).toMatch(/^nvidia-smi is still running after [\d.]+ s \(timeout 0\.1 s\)/);
    expect(started).toBe(1);
    // Once it ends, the next interval calls again.
    finish({ ok: true, stdout: '0, 7, 1, 2, 30, 50.00, 100.00\n', stderr: '' });
    await new Promise((r) => setTimeout(r, 10));
    finish = () => undefined;
    const stuckAgain = telemetry.sample(cards);
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(2);
    await stuckAgain;
  });
});
