// The operator commands against a real orchestrator with a 4-node simulated fleet: tables, --json,
// exit codes (0 ok, 1 error, 2 usage, 3 not found, 4 unreachable or refused) and what errors say.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { operatorCommand, siteLine } from '../../../orchestrator/cli/operator.ts';
import { authPlugin, issueApiToken, parseTokenLines } from '../../../orchestrator/api/auth.ts';
import { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import { quietLog } from '../../helpers/quiet-log.ts';
import { waitFor } from '../../helpers/wait.ts';
import { demoSpec, startHarness, type Harness } from '../dashboard/harness.ts';

async function banyan(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await operatorCommand(args[0]!, args.slice(1), env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('banyan node: the site line', () => {
  it('names the district, or says where to set it when the agent left it empty', () => {
    const loc = { lat: 26.07, lon: 119.3, site: 's1', siteKind: 'factory' };
    expect(siteLine({ site: 's1', location: { ...loc, district: 'gulou' } })).toBe('site      s1 (gulou, 26.07, 119.3)');
    expect(siteLine({ site: 's1', location: { ...loc, district: '' } })).toBe('site      s1 (district not set: location.district in the agent config; 26.07, 119.3)');
    expect(siteLine({ site: 's1', location: null })).toBe('site      s1');
  });
});

describe('banyan operator commands', () => {
  let h: Harness;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await startHarness([]);
    dir = mkdtempSync(join(tmpdir(), 'banyan-cli-'));
    env = { BANYAN_ORCHESTRATOR: h.orch.httpUrl };
  });
  afterAll(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nodes: an aligned table for people, the API shape with --json', async () => {
    const t = await banyan(['nodes'], env);
    expect(t.code).toBe(0);
    const lines = t.out.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+STATE\s+SITE\s+ACCELERATORS\s+NOMINAL TF\s+MEASURED TF\s+POWER W\s+UTIL %\s+TF\/W\s+WORKLOADS$/);
    expect(lines).toHaveLength(1 + 4);
    // Aligned: every row's STATE column starts where the header's does.
    const col = lines[0]!.indexOf('STATE');
    for (const l of lines.slice(1)) expect(l.slice(col, col + 6)).toBe('online');
    const j = await banyan(['nodes', '--json'], env);
    const parsed = JSON.parse(j.out) as { nodes: { id: string; nominalTflops: number }[] };
    expect(parsed.nodes.map((n) => n.id).sort()).toEqual(h.fleet.specs.map((s) => s.id).sort());
    const api = (await (await fetch(`${h.orch.httpUrl}/v1/nodes`)).json()) as { nodes: { id: string; nominalTflops: number }[] };
    expect(parsed.nodes.map((n) => [n.id, n.nominalTflops])).toEqual(api.nodes.map((n) => [n.id, n.nominalTflops]));
  });

  it('node ID shows its accelerators; an unknown id exits 3 with the API message', async () => {
    const spec = h.fleet.specs[0]!;
    // Per-card readings come with the first telemetry report, a moment after the birth.
    await waitFor('its first telemetry', () => h.orch.registry.get(spec.id)?.telemetry != null);
    const r = await banyan(['node', spec.id], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`node      ${spec.id}`);
    expect(r.out.split('\n').filter((l) => l.includes(spec.pack.model))).toHaveLength(spec.pack.count);
    // Per-card readings beside the figures: simulated cards report power, so the node sums it.
    expect(r.out).toMatch(/^energy\s+\d+ W now; /m);
    expect(r.out).toMatch(/UTIL %\s+MEM GIB\s+TEMP C\s+POWER W\s+LIMIT W\s+HEALTH\s+TF\/W/);
    const missing = await banyan(['node', 'no-such-node'], env);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('no node "no-such-node"');
  });

  it('summary agrees with the fleet summary API', async () => {
    const s = (await (await fetch(`${h.orch.httpUrl}/v1/fleet/summary`)).json()) as { nominal: { pflops: number }; byVendor: { vendor: string }[] };
    const r = await banyan(['summary'], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`nominal       ${s.nominal.pflops.toFixed(3)} PFLOPS`);
    for (const v of s.byVendor) expect(r.out).toMatch(new RegExp(`^${v.vendor}\\s`, 'm'));
    // Power moves with every telemetry report between the two reads; everything else must agree.
    const { energy: cliEnergy, ...cli } = JSON.parse((await banyan(['summary', '--json'], env)).out) as typeof s & { energy: unknown };
    const { energy: _apiEnergy, ...api } = s as typeof s & { energy: unknown };
    expect(cli).toEqual(api);
    expect(cliEnergy).toMatchObject({ powerW: expect.any(Number) });
  });

  it('submit (YAML), workloads, explain, move, stop: the whole operator loop', async () => {
    const [a, b] = [h.fleet.specs[1]!, h.fleet.specs[2]!];
    const file = join(dir, 'ctl.yaml');
    writeFileSync(file, toYaml(demoSpec('cli-ctl', a.site.id, { needs: { accelerators: 1 } })));
    const sub = await banyan(['submit', file, '--json'], env);
    expect(sub.code, sub.err).toBe(0);
    const w = JSON.parse(sub.out) as { id: string; nodeId: string; state: string };
    expect(w.state).toBe('placed');
    expect(w.nodeId).toBe(h.orch.workloads.get(w.id)!.nodeId);

    const list = await banyan(['workloads'], env);
    expect(list.out).toMatch(new RegExp(`^${w.id}\\s+cli-ctl\\s+industrial-control\\s+(placed|running)\\s+${w.nodeId}\\s+-\\s+<=50 ms`, 'm'));

    const ex = await banyan(['explain', w.id], env);
    expect(ex.code).toBe(0);
    expect(ex.out).toContain(`chosen: ${w.nodeId}`);
    expect(ex.out).toMatch(/^latency-slo\s+\d+/m);
    // One vocabulary: per filter what it removed, then how many were scored and never examined, adding up to the fleet.
    const [, fleetSize, removed, scored, unexamined] = ex.out.match(/^(\d+) nodes: (\d+) removed by the filters below, (\d+) scored, (\d+) not examined/m)!.map(Number);
    expect(removed! + scored! + unexamined!).toBe(fleetSize);
    expect(ex.out).not.toContain('pruned');

    const other = w.nodeId === b.id ? a.id : b.id;
    const mv = await banyan(['move', w.id, '--to', other], env);
    expect(mv.code, mv.err).toBe(0);
    expect(h.orch.workloads.get(w.id)!.nodeId).toBe(other);
    expect((await banyan(['move', w.id, '--to', 'no-such-node'], env)).code).toBe(3);

    const st = await banyan(['stop', w.id], env);
    expect(st.code).toBe(0);
    expect(st.out).toContain('is stopped');
    expect(h.orch.workloads.get(w.id)!.state).toBe('stopped');
    expect((await banyan(['explain', 'w-nope'], env)).code).toBe(3);
  });

  it('resolve: replicas nearest first from a site, --json, and what bad input says', async () => {
    const site = h.fleet.specs[0]!.site.id;
    const file = join(dir, 'rep.yaml');
    writeFileSync(file, toYaml(demoSpec('cli-rep', site, { needs: { accelerators: 0 }, replicas: 2, spread: 'node' })));
    const sub = await banyan(['submit', file, '--json'], env);
    expect(sub.code, sub.err).toBe(0);
    const set = JSON.parse(sub.out) as { id: string; replicas: number; instances: { id: string; nodeId: string }[] };
    expect(set.replicas).toBe(2);
    expect(new Set(set.instances.map((i) => i.nodeId)).size).toBe(2);
    await waitFor('both replicas running', () => h.orch.workloads.replicas(set.id).every((r) => r.state === 'running'));
    const list = await banyan(['workloads'], env);
    expect(list.out).toMatch(new RegExp(`^${set.id}-r1\\s+cli-rep\\s+\\S+\\s+running\\s+\\S+\\s+2/2 node`, 'm'));

    const r = await banyan(['resolve', 'cli-rep', '--near', site], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^cli-rep \\(${set.id}\\) from ${site}: connect to \\S+`));
    expect(r.out).toMatch(/^#\s+INSTANCE\s+NODE\s+SITE\s+DISTRICT\s+RTT MS\s+± MS\s+BASIS$/m);
    const j = JSON.parse((await banyan(['resolve', set.id, '--near', '26.08,119.30', '--json'], env)).out) as { instances: { rttMs: number; basis: string }[] };
    expect(j.instances).toHaveLength(2);
    expect(j.instances[0]!.rttMs).toBeLessThanOrEqual(j.instances[1]!.rttMs);
    expect(['measured', 'estimated']).toContain(j.instances[0]!.basis);

    const noNear = await banyan(['resolve', 'cli-rep'], env);
    expect(noNear.code).toBe(2);
    expect(noNear.err).toContain('resolve needs --near SITE');
    const badNear = await banyan(['resolve', 'cli-rep', '--near', 'fz-gulou-dc-9'], env);
    expect(badNear.code).toBe(1);
    expect(badNear.err).toMatch(/unknown site 'fz-gulou-dc-9'; did you mean 'fz-gulou-dc-1'/);
    expect((await banyan(['resolve', 'nope', '--near', site], env)).code).toBe(3);
    expect((await banyan(['stop', set.id], env)).code).toBe(0);
    expect(h.orch.workloads.replicas(set.id).every((x) => x.state === 'stopped')).toBe(true);
  });

  it('a refused spec exits 1 and names each bad field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...demoSpec('Bad Name', 'fz-gulou-dc-1'), class: 'nope' }));
    const r = await banyan(['submit', file], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}\/name: /m);
    expect(r.err).toMatch(/^ {2}\/class: /m);
  });

  it('usage errors exit 2', async () => {
    expect((await banyan(['node'], env)).code).toBe(2);
    expect((await banyan(['nodes', '--bogus'], env)).code).toBe(2);
    expect((await banyan(['move', 'w-1'], env)).code).toBe(2);
    const r = await banyan(['submit', join(dir, 'missing.yaml')], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('ENOENT');
  });

  it('an unreachable orchestrator exits 4 and says what to do', async () => {
    const r = await banyan(['nodes', '--orchestrator', 'http://127.0.0.1:9'], env);
    expect(r.code).toBe(4);
    expect(r.err).toContain('cannot reach http://127.0.0.1:9');
    expect(r.err).toContain('banyan orchestrator');
    expect(r.err).toContain('--orchestrator');
  });

  it('runs as a real process through the banyan dispatcher, with its exit code', async () => {
    // Asynchronous: the orchestrator answering it lives in this very process.
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['bin/banyan.js', ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const ok = await run(['nodes', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { nodes: unknown[] }).nodes).toHaveLength(4);
    expect((await run(['node', 'nope'])).code).toBe(3);
  });
});

describe('banyan operator commands with API tokens', () => {
  const viewer = issueApiToken('cli-viewer', 'viewer');
  const operator = issueApiToken('cli-operator', 'operator');
  let orch: Orchestrator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const tokens = parseTokenLines([viewer.line, operator.line].join('\n'), 'test');
    orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, plugins: [(app) => authPlugin(app, { tokens })] });
    env = { BANYAN_ORCHESTRATOR: orch.httpUrl };
  });
  afterAll(async () => {
    await orch?.stop();
  });

  it('sends --token or $BANYAN_TOKEN as Bearer; 401 and 403 exit 4 with advice', async () => {
    const none = await banyan(['nodes'], env);
    expect(none.code).toBe(4);
    expect(none.err).toContain('--token or set $BANYAN_TOKEN');
    expect((await banyan(['nodes', '--token', viewer.token], env)).code).toBe(0);
    expect((await banyan(['nodes'], { ...env, BANYAN_TOKEN: viewer.token })).code).toBe(0);
    const denied = await banyan(['stop', 'w-1', '--token', viewer.token], env);
    expect(denied.code).toBe(4);
    expect(denied.err).toContain('stronger role');
    // An operator may stop: the request reaches the API and finds no such workload.
    expect((await banyan(['stop', 'w-1'], { ...env, BANYAN_TOKEN: operator.token })).code).toBe(3);
  });
});
