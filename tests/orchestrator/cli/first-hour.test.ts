// What a new operator hits in the first hour (issue 20), against a real orchestrator and simulated
// fleet: a process spec that lives until stopped, unknown SLO targets and enum typos refused with
// the allowed values and the closest match, and YAML errors that show where.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { operatorCommand } from '../../../orchestrator/cli/operator.ts';
import { startHarness, type Harness } from '../dashboard/harness.ts';
import { waitFor } from '../../helpers/wait.ts';

async function banyan(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await operatorCommand(args[0]!, args.slice(1), env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe("an operator's first hour", () => {
  let h: Harness;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await startHarness([]);
    dir = mkdtempSync(join(tmpdir(), 'banyan-first-hour-'));
    env = { BANYAN_ORCHESTRATOR: h.orch.httpUrl };
  });
  afterAll(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process spec on a simulated node runs until stopped, so it can be moved and stopped', async () => {
    const file = join(dir, 'long.yaml');
    const spec = { name: 'long-job', tenant: 'ops', class: 'batch', needs: { accelerators: 1 }, run: { runner: 'process', command: '/usr/bin/sleep', args: ['infinity'] } };
    writeFileSync(file, toYaml(spec));
    const sub = await banyan(['submit', file, '--json'], env);
    expect(sub.code).toBe(0);
    const id = (JSON.parse(sub.out) as { id: string }).id;
    await waitFor('running', async () => (await (await fetch(`${h.orch.httpUrl}/v1/workloads/${id}`)).json()).state === 'running');
    await new Promise((r) => setTimeout(r, 1500));
    const later = (await (await fetch(`${h.orch.httpUrl}/v1/workloads/${id}`)).json()) as { state: string; nodeId: string };
    expect(later.state).toBe('running');
    const other = h.fleet.specs.find((s) => s.id !== later.nodeId)!;
    expect((await banyan(['move', id, '--to', other.id], env)).code).toBe(0);
    await waitFor('moved and running', async () => {
      const w = (await (await fetch(`${h.orch.httpUrl}/v1/workloads/${id}`)).json()) as { state: string; nodeId: string };
      return w.state === 'running' && w.nodeId === other.id;
    });
    expect((await banyan(['stop', id], env)).code).toBe(0);
    await waitFor('stopped', async () => (await (await fetch(`${h.orch.httpUrl}/v1/workloads/${id}`)).json()).state === 'stopped');
  });

  it('refuses a latency target that does not exist, suggesting the closest known names', async () => {
    const file = join(dir, 'nowhere.yaml');
    writeFileSync(file, toYaml({ name: 'ctl', tenant: 'ops', class: 'industrial-control', needs: { accelerators: 1 }, latency: { to: { site: 'fz-mawei-plant-9' } }, run: { runner: 'simulated', durationMs: 1000 } }));
    const r = await banyan(['submit', file], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/latency\/to\/site: unknown site 'fz-mawei-plant-9'; did you mean 'fz-mawei-plant-\d'/);
    const list = (await (await fetch(`${h.orch.httpUrl}/v1/workloads`)).json()) as { workloads: { name: string }[] };
    expect(list.workloads.some((w) => w.name === 'ctl')).toBe(false);
  });

  it('names the allowed values and the closest match for an enum typo, in specs and query strings', async () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ name: 'typo', tenant: 'ops', class: 'tradin', needs: { vendors: ['huwei'] }, run: { runner: 'proces', command: 'x' } }));
    const r = await banyan(['submit', file], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain("/class: 'tradin' is not allowed; use one of grid-protection, industrial-control, trading, cloud-gaming, batch; did you mean 'trading'?");
    expect(r.err).toContain("/run/runner: 'proces' is not allowed; use one of process, container, simulated; did you mean 'process'?");
    expect(r.err).toContain("did you mean 'huawei'?");

    const q = await fetch(`${h.orch.httpUrl}/v1/nodes?status=onlin`);
    expect(q.status).toBe(400);
    const body = (await q.json()) as { message: string };
    expect(body.message).toBe("querystring.status: 'onlin' is not allowed; use one of online, offline, unknown; did you mean 'online'?");
  });

  it('shows the YAML excerpt with a caret where the file is wrong', async () => {
    const file = join(dir, 'indent.yaml');
    writeFileSync(file, 'name: x\nneeds:\n  accelerators: 1\n bad: [\n');
    const r = await banyan(['submit', file], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('at line 4, column 1:');
    expect(r.err).toContain(' bad: [');
    expect(r.err).toMatch(/\n\^/);
  });
});
