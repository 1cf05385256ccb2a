import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCommand } from '../../../agent/cli/detect.ts';
import { prepareSimulatedHost, type HardwareScenario } from '../../../simulators/hardware/host.ts';

async function runCli(scenario: HardwareScenario, argv: string[] = []) {
  const host = await prepareSimulatedHost(scenario);
  let stdout = '';
  let stderr = '';
  const code = await detectCommand(['--sysfs', host.sysfsRoot, ...argv], { env: host.env, stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

const MIXED: HardwareScenario = { vendors: { nvidia: { count: 2 }, huawei: { count: 4 }, cambricon: { count: 2 } } };

describe('banyan detect', () => {
  it('prints one row per accelerator, the totals and the domestic share', async () => {
    const r = await runCli(MIXED);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = r.stdout.split('\n').filter((l) => /^\d+  /.test(l));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatch(/^0\s+NVIDIA\s+NVIDIA H200\s+140\.4 GiB\s+ok\s+590\.48\.01\s+989\.5\s+fp16\s+\[1\]\s+0000:10:00\.0$/);
    expect(rows[6]).toMatch(/^6\s+Cambricon\s+MLU370-X8\s+22\.8 GiB\s+ok\s+5\.10\.13\s+unknown\s+unknown\s+\[3\]/);
    expect(r.stdout).toContain('Total nominal FP16-eq: 3099.0 TFLOPS (3.099 PFLOPS), domestic share 36.1 %');
    expect(r.stdout).toContain('2 accelerator(s) with unknown FP16-eq are not counted.');
    expect(r.stdout).toMatch(/\[2\] catalogue v[\d.]+ huawei-ascend-910b: ai\.gitee\.com/);
  });

  it('--json carries accelerators, warnings and totals', async () => {
    const r = await runCli(MIXED, ['--json']);
    const doc = JSON.parse(r.stdout) as { accelerators: unknown[]; warnings: string[]; totals: { tflops: number; domesticShare: number; unknownCount: number } };
    expect(doc.accelerators).toHaveLength(8);
    expect(doc.totals.tflops).toBe(3099);
    expect(doc.totals.domesticShare).toBeCloseTo(1120 / 3099, 9);
    expect(doc.totals.unknownCount).toBe(2);
  });

  it('partial detection: exit 0, warnings on stderr, the card still listed', async () => {
    const r = await runCli({ vendors: { huawei: { count: 1 }, nvidia: { count: 1 } }, faults: { 'npu-smi': 'hang' } }, ['--timeout', '0.3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: npu-smi timed out after 0.3 s; is the driver loaded, or is a device hung?\n');
    expect(r.stdout).toMatch(/^1\s+Huawei Ascend\s+Huawei Ascend \[19e5:d802\]\s+\?\s+unknown/m);
  });

  it('a catalogue override is applied, and an invalid one exits 1 with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'banyan-cli-'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ version: 's1', models: [{ id: 'cambricon-mlu370-x8', vendor: 'cambricon', model: 'MLU370-X8', match: { names: ['MLU370-X8'] }, dense: { fp16: 96 }, domestic: true, source: 'site datasheet', verified: true }] }));
    const ok = await runCli({ vendors: { cambricon: { count: 1 } } }, ['--catalog-override', good, '--json']);
    expect(JSON.parse(ok.stdout).accelerators[0].nominal).toMatchObject({ tflops: 96, source: `site override ${good} cambricon-mlu370-x8: site datasheet` });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"version": "x", "models": [{}]}');
    const r = await runCli({ vendors: {} }, ['--catalog-override', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`banyan detect: site override ${bad} is invalid`);
  });

  it('usage errors exit 2; --help exits 0', async () => {
    expect((await runCli({ vendors: {} }, ['--bogus'])).code).toBe(2);
    const f = await runCli({ vendors: {} }, ['--factor', 'int8=-1']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--factor: factor for int8 must be a positive number');
    const h = await runCli({ vendors: {} }, ['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: banyan detect/);
  });
});
