import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../../agent/cli/bench.ts';
import { accelerator } from './accelerators.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/bench/site-bench.mjs', import.meta.url));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await benchCommand(argv, {
    accelerators: [accelerator({ index: 0, nominal: 200 }), accelerator({ index: 1, nominal: 200 })],
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
  });
  return { code, out, err };
}

describe('banyan bench', () => {
  it('prints help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--budget <seconds>/);
  });

  it.each([
    [['--budget', 'soon'], /--budget soon must be seconds/],
    [['--backend', 'opencl'], /--backend opencl is not one of cpu, torch, command/],
    [['--busy', 'a,b'], /--busy "a,b" must be accelerator indexes/],
    [['--backend', 'command'], /needs --command/],
    [['--frobnicate'], /Unknown option/],
  ])('rejects %j with a usage error', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('runs the site command on the accelerators and prints JSON, progress on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banyan-cli-'));
    try {
      const r = await cli(['--json', '--backend', 'command', '--command', `${process.execPath} ${SCRIPT} {index}`, '--busy', '1', '--cache', join(dir, 'c.json'), '--budget', '5']);
      expect(r.code).toBe(0);
      const run = JSON.parse(r.out) as { results: { target: string; rawTflops: number; ratioToNominal: number }[]; outcomes: { target: string; status: string }[] };
      expect(run.results).toMatchObject([{ target: 'acc:0', rawTflops: 100, ratioToNominal: 0.5 }]);
      expect(run.outcomes.map((o) => [o.target, o.status])).toEqual([
        ['cpu', 'skipped'],
        ['acc:0', 'measured'],
        ['acc:1', 'skipped'],
      ]);
      expect(r.err).toMatch(/bench acc:0 \[command\] start 0%/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a table with the CPU figure', async () => {
    const r = await cli(['--target', 'cpu', '--no-cache', '--budget', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^target\s+backend\s+status\s+fp16-eq TFLOPS/);
    expect(r.out).toMatch(/\ncpu\s+cpu\s+measured\s+[\d.]+ \(fp32x2, weak\)/);
    // Which kernel measured, numpy's BLAS or the JS last resort, leads the note.
    expect(r.out).toMatch(/\ncpu\s+cpu\s+measured\s.*\s\[(numpy-(openblas|mkl|blis|unknown) \S+|js-scalar)\] throughput /);
  });
});
