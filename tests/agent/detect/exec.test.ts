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
});
