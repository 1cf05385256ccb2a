// The agent's container image, checked without Docker: its build stage is laid out from the files
// it copies and its bundling step run there; the final stage then holds only what it copies (the
// bundle, with protocol/ and agent/ for its assets), and its entry point detects a simulated box
// with catalogue figures from there.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareSimulatedHost } from '../../simulators/hardware/host.ts';
import { layOutImage } from './image-layout.ts';

const REPO = join(import.meta.dirname, '../..');
const DOCKERFILE = join(REPO, 'deploy/docker/Dockerfile.agent');
const scratch = mkdtempSync(join(tmpdir(), 'banyan-agent-image-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('agent image (Dockerfile.agent laid out, no Docker)', () => {
  it('builds the bundle from what the build stage copies, and the final stage detects a box with it', async () => {
    const root = join(scratch, 'root');
    const build = layOutImage(DOCKERFILE, REPO, root, { stage: 'build' });
    expect(build.runs).toHaveLength(1);
    // The build step is a plain node command: run it as the image would, in the stage's WORKDIR.
    const [exe, ...args] = build.runs[0]!.trim().split(/\s+/);
    expect(exe).toBe('node');
    execFileSync(process.execPath, args, { cwd: build.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch }, stdio: 'pipe' });

    // The final stage sees the build stage only through its COPY --from.
    const built = join(scratch, 'build');
    renameSync(root, built);
    const image = layOutImage(DOCKERFILE, REPO, root, { stages: { build: built } });
    rmSync(built, { recursive: true, force: true });
    expect(existsSync(join(image.cwd, 'node_modules'))).toBe(false);
    expect(existsSync(join(image.cwd, 'orchestrator'))).toBe(false);

    const host = await prepareSimulatedHost({ vendors: { nvidia: { count: 2 }, huawei: { count: 4 } } });
    const [entry] = image.command;
    const r = spawnSync(entry!, ['detect', '--sysfs', host.sysfsRoot, '--json'], { cwd: image.cwd, env: { ...host.env, ...image.env, HOME: scratch }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { accelerators: { nominal: { tflops?: number } }[] };
    expect(doc.accelerators).toHaveLength(6);
    // catalogue figures: the bundle found agent/catalog in the image
    expect(doc.accelerators.every((a) => (a.nominal.tflops ?? 0) > 0)).toBe(true);
  }, 120_000);
});
