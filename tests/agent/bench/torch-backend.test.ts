// Runs agent/bench/torch_gemm.py for real on device cpu (Debian's python3-torch is a CPU build).
// Locally it skips, saying why, when no Python can import torch; in CI (CI set) that is a failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProgress, torchBackend } from '../../../agent/bench/torch/backend.ts';
import { pythonCandidates } from '../../../agent/bench/python.ts';
import { findTorchPython } from '../../../agent/bench/torch/python.ts';
import { torchDeviceFor } from '../../../agent/bench/torch/devices.ts';
import { targetOf, type BenchTarget } from '../../../agent/bench/types.ts';
import { accelerator } from './accelerators.ts';

const py = await findTorchPython('cpu');
const torchMissing = !py.ok;
if (torchMissing) console.warn(`torch backend tests skipped: ${py.reason}`);

const cpu: BenchTarget = { id: 'cpu', kind: 'cpu', model: 'test CPU', cores: 2 };
const tiny = { size: 128, latencySize: 32, flushMib: 4 };

describe('torch availability', () => {
  it('is importable in CI, where .ci installs python3-torch', () => {
    if (process.env.CI) expect(py, 'CI must install python3-torch').toMatchObject({ ok: true });
    else expect(typeof py.ok).toBe('boolean');
  });

  it('maps each vendor to its PyTorch device type', () => {
    expect(['nvidia', 'amd', 'hygon', 'iluvatar', 'metax', 'huawei', 'cambricon', 'mthreads', 'intel', 'enflame'].map(torchDeviceFor)).toEqual([
      'cuda', 'cuda', 'cuda', 'cuda', 'cuda', 'npu', 'mlu', 'musa', 'xpu', 'gcu',
    ]);
    expect(torchDeviceFor('kunlunxin')).toBeUndefined();
  });

  it('says why an accelerator without a PyTorch device cannot be measured', async () => {
    const a = await torchBackend().available(targetOf(accelerator({ index: 0, vendor: 'kunlunxin' })));
    expect(a).toMatchObject({ ok: false, reason: expect.stringMatching(/no PyTorch device type is known for vendor 'kunlunxin'/) });
  });

  it('looks for BANYAN_PYTHON first, then the distribution python, then PATH', () => {
    expect(pythonCandidates({ BANYAN_PYTHON: '/opt/venv/bin/python' })).toEqual(['/opt/venv/bin/python', '/usr/bin/python3', 'python3']);
    expect(pythonCandidates({})).toEqual(['/usr/bin/python3', 'python3']);
  });

  it('explains a missing vendor plugin with what to install', async () => {
    const p = await findTorchPython('npu', { ...process.env, BANYAN_PYTHON: '' });
    expect(p).toMatchObject({ ok: false, reason: expect.stringMatching(/no Python with torch and torch_npu for device 'npu'.*(no module '|cannot)/) });
  });

  it("names a missing module plainly, not as a cut-off Python traceback", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banyan-fake-python-'));
    const fake = join(dir, 'python3');
    writeFileSync(fake, `#!/bin/sh\necho "ModuleNotFoundError: No module named 'torch'" >&2\nexit 1\n`, { mode: 0o755 });
    try {
      // npu: no Python here has torch_npu, so every candidate's reason is in the message.
      const p = await findTorchPython('npu', { PATH: dir, BANYAN_PYTHON: fake });
      expect(p.ok).toBe(false);
      if (!p.ok) {
        expect(p.reason).toContain(`${fake}: no module 'torch'`);
        expect(p.reason).not.toMatch(/'torch[;)]/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads progress lines and ignores other stderr', () => {
    expect(parseProgress('{"progress": 0.5, "phase": "throughput"}')).toEqual({ phase: 'throughput', fraction: 0.5 });
    expect(parseProgress('UserWarning: something')).toBeUndefined();
  });
});

describe.skipIf(torchMissing && !process.env.CI)('torch_gemm.py on device cpu', () => {
  it('measures fp32 GEMM and reports FP16-eq by the fp32x2 rule, flagged weak', async () => {
    const phases: string[] = [];
    const r = await torchBackend({ cpu: { ...tiny, dtype: 'fp32' } }).run(cpu, { budgetMs: 2500, onProgress: (p) => phases.push(p.phase) });
    expect(r).toMatchObject({ target: 'cpu', backend: 'torch', precision: 'fp32' });
    expect(r.rawTflops).toBeGreaterThan(0);
    expect(r.fp16).toMatchObject({ basis: 'fp32x2', weak: true, kind: 'measured', source: 'bench:torch' });
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    expect(r.latencyP50Ms).toBeGreaterThan(0);
    expect(r.shape).toMatch(/^throughput 128x128x128 fp32, median of \d+ \(synchronize\+perf_counter\); latency 32x32x32/);
    expect(r.versions.torch).toMatch(/^\d+\.\d+/);
    expect(r.versions.threads).toBe('2');
    expect(phases).toContain('throughput');
    expect(phases).toContain('latency');
  });

  it('fails with a hint, not a figure, when the dtype has no CPU matmul', async () => {
    // torch 1.13 has no fp16 addmm on CPU; newer builds do, and then a figure is fine.
    const run = torchBackend({ cpu: { ...tiny, dtype: 'fp16' } }).run(cpu, { budgetMs: 2000 });
    const outcome = await run.then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
    if (outcome.ok) expect(outcome.r.fp16.basis).toBe('fp16');
    else expect(outcome.e.message).toMatch(/fp16 matmul is unsupported on cpu.*pass --dtype fp32/);
  });

  it('kills the Python process when cancelled', async () => {
    const ctl = new AbortController();
    const run = torchBackend({ cpu: { ...tiny, dtype: 'fp32' } }).run(cpu, { budgetMs: 60_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 500);
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
  });
});
