import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VENDORS, type VendorId } from '../../../protocol/vendors.ts';
import { buildContainerArgs, detectContainerRuntime } from '../../../agent/exec/container-runner.ts';
import { VISIBILITY, visibilityEnv } from '../../../agent/exec/visibility.ts';
import { execSpec } from '../../../agent/exec/types.ts';

describe('vendor visibility table', () => {
  it('has one documented variable for every vendor protocol/vendors.ts knows', () => {
    expect(Object.keys(VISIBILITY).sort()).toEqual(Object.keys(VENDORS).sort());
    for (const v of Object.values(VISIBILITY)) expect(v.source.length).toBeGreaterThan(10);
  });

  it.each([
    ['nvidia', 'CUDA_VISIBLE_DEVICES', '1,3'],
    ['amd', 'ROCR_VISIBLE_DEVICES', '1,3'],
    ['hygon', 'HIP_VISIBLE_DEVICES', '1,3'],
    ['intel', 'ZE_AFFINITY_MASK', '1,3'],
    ['huawei', 'ASCEND_RT_VISIBLE_DEVICES', '1,3'],
    ['cambricon', 'MLU_VISIBLE_DEVICES', '1,3'],
    ['kunlunxin', 'XPU_VISIBLE_DEVICES', '1,3'],
    ['iluvatar', 'CUDA_VISIBLE_DEVICES', '1,3'],
    ['metax', 'MACA_VISIBLE_DEVICES', '1,3'],
    ['mthreads', 'MUSA_VISIBLE_DEVICES', '1,3'],
    ['enflame', 'TOPS_VISIBLE_DEVICES', '1,3'],
    ['biren', 'SUPA_VISIBLE_DEVICES', '1,3'],
  ] as const)('%s → %s', (vendor, variable, value) => {
    expect(visibilityEnv(vendor, [1, 3])).toEqual({ [variable]: value });
  });

  it('lists Ascend devices in ascending order, as CANN requires', () => {
    expect(visibilityEnv('huawei', [3, 1])).toEqual({ ASCEND_RT_VISIBLE_DEVICES: '1,3' });
  });

  it('sets nothing without a vendor or without accelerators', () => {
    expect(visibilityEnv('', [0])).toEqual({});
    expect(visibilityEnv('nvidia', [])).toEqual({});
  });
});

describe('container arguments', () => {
  const spec = (vendor: VendorId | '') =>
    execSpec({ runner: 'container', image: 'registry/infer:1', command: 'serve', args: ['--port', '80'], env: { MODE: 'fast' }, cwd: '/app', vendor });

  it('passes NVIDIA GPUs with --gpus on docker and CDI names on podman, without a host-index env', () => {
    expect(buildContainerArgs('docker', spec('nvidia'), [0, 2], 'w1')).toEqual([
      'run', '--rm', '--name', 'banyan-w1', '--label', 'banyan.workload=w1',
      '--gpus', '"device=0,2"', '-e', 'MODE=fast', '-w', '/app', 'registry/infer:1', 'serve', '--port', '80',
    ]);
    const podman = buildContainerArgs('podman', spec('nvidia'), [1], 'w1');
    expect(podman).toContain('nvidia.com/gpu=1');
    expect(podman.join(' ')).not.toContain('CUDA_VISIBLE_DEVICES');
  });

  it('passes the assigned Ascend NPUs as davinci device nodes plus the management devices', () => {
    const args = buildContainerArgs('docker', spec('huawei'), [0, 3], 'w2').join(' ');
    expect(args).toContain('--device /dev/davinci0 --device /dev/davinci3 --device /dev/davinci_manager --device /dev/devmm_svm --device /dev/hisi_hdc');
    expect(args).not.toContain('ASCEND_RT_VISIBLE_DEVICES');
  });

  it('passes the shared ROCm nodes and narrows with the visibility variable for AMD', () => {
    const args = buildContainerArgs('docker', spec('amd'), [1], 'w3').join(' ');
    expect(args).toContain('--device /dev/kfd --device /dev/dri --group-add video');
    expect(args).toContain('-e ROCR_VISIBLE_DEVICES=1');
  });

  it('runs with no device flags when no accelerator is assigned', () => {
    const args = buildContainerArgs('podman', spec(''), [], 'w4');
    expect(args).not.toContain('--device');
    expect(args.slice(-4)).toEqual(['registry/infer:1', 'serve', '--port', '80']);
  });
});

describe('container runtime detection', () => {
  it('finds docker before podman on PATH and nothing on an empty PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'banyan-path-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      mkdirSync(a);
      mkdirSync(b);
      for (const [d, name] of [[a, 'podman'], [b, 'docker']] as const) {
        writeFileSync(join(d, name), '#!/bin/sh\n');
        chmodSync(join(d, name), 0o755);
      }
      expect(detectContainerRuntime(`${a}:${b}`)).toEqual({ name: 'docker', path: join(b, 'docker') });
      expect(detectContainerRuntime(a)).toEqual({ name: 'podman', path: join(a, 'podman') });
      expect(detectContainerRuntime(join(dir, 'none'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
