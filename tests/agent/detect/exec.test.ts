import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createToolRunner } from '../../../agent/detect/exec.ts';

const node = process.execPath;

describe('tool runner', () => {
  it('returns stdout of a tool that exits 0', async () => {
    const run = createToolRunner({ env: process.env, timeoutMs: 5000 });
    expect(await run(node, ['-e', 'console.log("hello")'])).toEqual({ ok: true, stdout: 'hello\n', stderr: '' });
  });

  it('kills a hung tool and the children it forked, and says it timed out', async () => {
    const run = createToolRunner({ env: process.env, timeoutMs: 300 });
    // The child keeps stdout open: without killing the group, "close" would never come.
    const script = `require("child_process").spawn(process.execPath, ["-e", "setInterval(()=>{}, 1e9)"], { stdio: "inherit" }); setInterval(()=>{}, 1e9)`;
    const r = await run(node, ['-e', script]);
    expect(r).toMatchObject({ ok: false, missing: false });
    expect(!r.ok && r.message).toMatch(/timed out after 0\.3 s; is the driver loaded/);
  });

  it('a non-zero exit carries the first line of stderr', async () => {
    const run = createToolRunner({ env: process.env, timeoutMs: 5000 });
    const r = await run(node, ['-e', 'console.error("\\ndriver not loaded\\nmore"); process.exit(9)']);
    expect(r).toMatchObject({ ok: false, missing: false });
    expect(!r.ok && r.message).toMatch(/exited with code 9: driver not loaded$/);
  });

  it('a tool not on PATH is missing, not failed', async () => {
    const run = createToolRunner({ env: { PATH: '/nonexistent' }, timeoutMs: 5000 });
    expect(await run('nvidia-smi', [])).toEqual({ ok: false, missing: true, message: 'nvidia-smi not found on PATH', stdout: '' });
  });

  it('runs an identical invocation once per detection', async () => {
    const run = createToolRunner({ env: process.env, timeoutMs: 5000 });
    const a = run(node, ['-e', 'console.log(Math.random())']);
    const b = run(node, ['-e', 'console.log(Math.random())']);
    expect(a).toBe(b);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.ok && rb.ok && ra.stdout === rb.stdout).toBe(true);
  });

  it('output beyond the limit is a failure', async () => {
    const run = createToolRunner({ env: process.env, timeoutMs: 5000, maxOutputBytes: 1000 });
    const r = await run(node, ['-e', 'process.stdout.write("x".repeat(100000))']);
    expect(!r.ok && r.message).toMatch(/printed more than 1000 bytes/);
  });

  it('a tool on PATH is found and run; one missing from PATH costs no process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'banyan-path-'));
    await writeFile(join(dir, 'fake-smi'), '#!/bin/sh\necho "$0 $1"\n');
    await chmod(join(dir, 'fake-smi'), 0o755);
    // Not executable: not a tool.
    await writeFile(join(dir, 'plain-file'), 'x');
    const run = createToolRunner({ env: { PATH: `/nonexistent:${dir}` }, timeoutMs: 5000 });
    expect(await run('fake-smi', ['-q'])).toEqual({ ok: true, stdout: `${join(dir, 'fake-smi')} -q\n`, stderr: '' });
    expect(await run('plain-file', [])).toEqual({ ok: false, missing: true, message: 'plain-file not found on PATH', stdout: '' });
  });

  it('runs at most maxParallel tools at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'banyan-par-'));
    const log = join(dir, 'log');
    await writeFile(log, '');
    const run = createToolRunner({ env: process.env, timeoutMs: 10000, maxParallel: 2 });
    // Each tool writes "+" when it starts and "-" when it ends; the log shows how many overlapped.
    await Promise.all([0, 1, 2, 3, 4].map((i) => run('/bin/sh', ['-c', `echo + >> ${log}; sleep 0.3; echo - >> ${log}`, String(i)])));
    let now = 0;
    let most = 0;
    for (const c of (await readFile(log, 'utf8')).split('\n').filter(Boolean)) {
      now += c === '+' ? 1 : -1;
      most = Math.max(most, now);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  });
});
