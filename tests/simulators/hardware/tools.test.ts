// The fake vendor CLIs print what the real tools print: the real parsers read them, and their
// fixed rows match the real samples character for character where the values agree.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCnmon } from '../../../agent/detect/cambricon.ts';
import { parseNpuSmiInfo, parseNpuSmiMapping } from '../../../agent/detect/huawei.ts';
import { parseNvidiaSmiTable } from '../../../agent/detect/nvidia.ts';
import { NVIDIA_QUERY_ARGS } from '../../../agent/detect/nvidia.ts';
import { FAKE_BIN_DIR, FAKE_TOOLS, prepareSimulatedHost, type HardwareScenario } from '../../../simulators/hardware/host.ts';
import { expandScenario } from '../../../simulators/hardware/lib/scenario.mjs';
import { fixture } from '../../agent/detect/fixture.ts';

const exec = promisify(execFile);

async function runFake(tool: string, args: string[], scenario: HardwareScenario) {
  const dir = await mkdtemp(join(tmpdir(), 'banyan-fake-'));
  const path = join(dir, 's.json');
  await writeFile(path, JSON.stringify(scenario));
  return exec(join(FAKE_BIN_DIR, tool), args, { env: { PATH: process.env.PATH, BANYAN_HW_SCENARIO: path } });
}

describe('fake vendor CLIs', () => {
  it('the nvidia-smi table rows match the real H200 sample', async () => {
    const { stdout } = await runFake('nvidia-smi', [], { vendors: { nvidia: { count: 1 } } });
    const real = fixture('nvidia_nvidia-smi_default_H200.txt').split('\n');
    const fake = stdout.split('\n');
    // Same header lines; the device row differs only in the bus id.
    expect(fake.slice(1, 8)).toEqual(real.slice(1, 8));
    expect(fake[8]).toBe(real[8]!.replace('00000000:83:00.0', '00000000:10:00.0'));
    expect(parseNvidiaSmiTable(stdout).devices).toHaveLength(1);
  });

  it('npu-smi info and -m describe the same chips, as the real parser reads them', async () => {
    const scenario: HardwareScenario = { vendors: { huawei: { count: 8, model: '910B2C', devices: { '3': { health: 'error' } } } } };
    const [info, map] = await Promise.all([runFake('npu-smi', ['info'], scenario), runFake('npu-smi', ['info', '-m'], scenario)]);
    const real = fixture('huawei_npu-smi_info_910B2C.txt').split('\n');
    expect(info.stdout.split('\n').slice(0, 7)).toEqual(real.slice(0, 7));
    const r = parseNpuSmiInfo(info.stdout, parseNpuSmiMapping(map.stdout));
    expect(r.devices.map((d) => d.model)).toEqual(Array(8).fill('Ascend 910B2C'));
    expect(r.devices[3]!.health).toBe('error');
  });

  it('cnmon rows match the real MLU370-X8 sample', async () => {
    const { stdout } = await runFake('cnmon', [], { vendors: { cambricon: { count: 2 } } });
    const real = fixture('cambricon_cnmon_MLU370-X8.txt').split('\n');
    expect(stdout.split('\n').slice(0, 8)).toEqual(real.slice(0, 8).map((l) => l.replace('0000:39:00.0', '0000:10:00.0')));
    expect(parseCnmon(stdout).devices).toHaveLength(2);
  });

  it('faults: a driver error exits non-zero with the message on stderr; garbage exits 0', async () => {
    const err = await runFake('mx-smi', [], { vendors: { metax: {} }, faults: { 'mx-smi': 'driver-error' } }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1, stderr: 'mx-smi: failed to initialize: driver not loaded\n' });
    const garbage = await runFake('efsmi', [], { vendors: { enflame: {} }, faults: { efsmi: 'garbage' } });
    expect(garbage.stdout).toMatch(/segfault/);
  });

  it('every fake tool answers its detection invocation on a box without cards', async () => {
    const args: Record<string, string[]> = { 'npu-smi': ['info'], 'amd-smi': ['static', '--asic'], 'xpu-smi': ['discovery', '-j'], 'rocm-smi': ['--json'] };
    const codes = await Promise.all(
      FAKE_TOOLS.map((tool) => runFake(tool, args[tool] ?? [], { vendors: {} }).then(() => 0, (e: { code: number }) => e.code)),
    );
    // nvidia-smi says "No devices were found" with exit 6, as the real one does.
    expect(Object.fromEntries(FAKE_TOOLS.map((t, i) => [t, codes[i]]))).toEqual({ ...Object.fromEntries(FAKE_TOOLS.map((t) => [t, 0])), 'nvidia-smi': 6 });
  });
});

describe("the fake tools' output cache on a simulated host", () => {
  const onHost = (host: { dir: string; env: NodeJS.ProcessEnv }, tool: string, args: readonly string[]) =>
    exec(join(host.dir, 'bin', tool), [...args], { env: host.env });

  it('a cached answer is what the node fake prints; the detection calls are cached before the first one', async () => {
    const scenario: HardwareScenario = { vendors: { nvidia: { count: 2 }, huawei: { count: 1 } } };
    const host = await prepareSimulatedHost(scenario);
    expect((await readdir(join(host.dir, 'tool-output'))).sort()).toEqual(['npu-smi info', 'npu-smi info -m', `nvidia-smi ${NVIDIA_QUERY_ARGS.join(' ')}`]);
    for (const [tool, args] of [['nvidia-smi', NVIDIA_QUERY_ARGS], ['npu-smi', ['info', '-m']]] as const) {
      const cached = await onHost(host, tool, args);
      const node = await runFake(tool, [...args], scenario);
      expect(cached.stdout).toBe(node.stdout);
    }
  });

  it('other arguments (telemetry, say) always run the node fake: nothing of theirs is kept', async () => {
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 1 } } });
    const before = await readdir(join(host.dir, 'tool-output'));
    expect((await onHost(host, 'nvidia-smi', ['-L'])).stdout).toMatch(/^GPU 0: NVIDIA H200/);
    expect(await readdir(join(host.dir, 'tool-output'))).toEqual(before);
  });

  it('a rewritten scenario is answered afresh', async () => {
    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 1 } } });
    const rows = async () => (await onHost(host, 'nvidia-smi', NVIDIA_QUERY_ARGS)).stdout.trim().split('\n').length - 1;
    expect(await rows()).toBe(1);
    await writeFile(host.scenarioPath, JSON.stringify({ vendors: { nvidia: { count: 3 } } }));
    expect(await rows()).toBe(3);
  });

  it('a faulty tool is never served from the cache', async () => {
    const host = await prepareSimulatedHost({ vendors: { metax: { count: 1 } }, faults: { 'mx-smi': 'driver-error' } });
    for (let i = 0; i < 2; i++) {
      const err = await onHost(host, 'mx-smi', []).catch((e: { code: number; stderr: string }) => e);
      expect(err).toMatchObject({ code: 1, stderr: 'mx-smi: failed to initialize: driver not loaded\n' });
    }
    expect(await readdir(join(host.dir, 'tool-output'))).toEqual([]);
  });
});

describe('scenario expansion', () => {
  it('assigns bus ids in vendor order, with per-device overrides', () => {
    const devices = expandScenario({ vendors: { cambricon: { count: 1 }, nvidia: { count: 2, devices: { '1': { health: 'error', model: 'NVIDIA L4' } } } } });
    expect(devices.map((d) => [d.vendor, d.index, d.model, d.busId, d.health])).toEqual([
      ['nvidia', 0, 'NVIDIA H200', '0000:10:00.0', 'ok'],
      ['nvidia', 1, 'NVIDIA L4', '0000:11:00.0', 'error'],
      ['cambricon', 0, 'MLU370-X8', '0000:12:00.0', 'ok'],
    ]);
  });
});
