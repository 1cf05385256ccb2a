// The `run` section: one contract. What the orchestrator's API accepts, the agent decodes to the
// same values; the API schema names exactly the protocol's fields; the decoder validates and
// fills defaults, and ignores fields it does not know (a newer orchestrator's).
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART, RUN_SPEC_FIELDS, decodeRun, decodeSpecJson, encodeSpecJson, resolveRun } from '../../protocol/run-spec.ts';
import { RunSchema, parseWorkloadSpec } from '../../orchestrator/workloads/spec.ts';

const workload = (run: Record<string, unknown>) => ({ name: 'w', tenant: 't', class: 'batch', run });

describe('run spec contract (orchestrator API ↔ agent)', () => {
  it('the API schema describes exactly the protocol fields, restart policy included', () => {
    expect(Object.keys(RunSchema.properties).sort()).toEqual([...RUN_SPEC_FIELDS].sort());
    const policy = RunSchema.properties.restart.anyOf[1]!;
    expect(Object.keys(policy.properties).sort()).toEqual(Object.keys(DEFAULT_RESTART).sort());
  });

  it.each([
    ['a process with every field', { runner: 'process', command: 'serve', args: ['--port', '80'], env: { A: '1' }, cwd: '/srv', restart: 'always' }],
    ['a container with a restart policy', { runner: 'container', image: 'registry.local/app:1', restart: { mode: 'on-failure', maxAttempts: 5, factor: 3 } }],
    ['a simulated run with its script', { runner: 'simulated', durationMs: 1500, exitCode: 3, nominalLoadPct: 40 }],
  ])('%s: accepted by the API, decoded by the agent to the same values', (_name, run) => {
    const parsed = parseWorkloadSpec(workload(run));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const decoded = decodeSpecJson(encodeSpecJson(parsed.spec));
    expect(decoded).toEqual({ ok: true, value: resolveRun(parsed.spec.run) });
    const { restart, ...rest } = run as Record<string, unknown>;
    expect(decoded.ok && decoded.value).toMatchObject(rest);
    if (decoded.ok && typeof restart === 'object') expect(decoded.value.restart).toEqual({ ...DEFAULT_RESTART, ...restart });
    if (decoded.ok && typeof restart === 'string') expect(decoded.value.restart.mode).toBe(restart);
  });
});

describe('decodeRun', () => {
  it('fills the defaults', () => {
    expect(decodeRun({ runner: 'simulated' })).toEqual({
      ok: true,
      value: { runner: 'simulated', command: '', args: [], env: {}, cwd: '', image: '', durationMs: 0, exitCode: 0, nominalLoadPct: 0, restart: DEFAULT_RESTART },
    });
  });

  it('ignores fields it does not know, so an old agent runs a newer spec', () => {
    expect(decodeRun({ runner: 'process', command: 'x', priorityClass: 'rt' })).toMatchObject({ ok: true, value: { command: 'x' } });
  });

  it('says what is wrong', () => {
    const error = (v: unknown) => {
      const r = decodeRun(v);
      return r.ok ? 'ok' : r.error;
    };
    expect(error('x')).toMatch(/spec must be an object/);
    expect(error({ runner: 'vm' })).toMatch(/spec.runner must be one of process, container, simulated/);
    expect(error({ runner: 'process', env: { A: 1 } })).toMatch(/env must map names to strings/);
    expect(error({ runner: 'process', restart: 7 })).toMatch(/run.restart must be/);
    expect(error({ runner: 'process', restart: { factor: 0.5 } })).toMatch(/restart.factor must be ≥ 1/);
    expect(decodeSpecJson('[1]')).toMatchObject({ ok: false, error: expect.stringMatching(/"run" object/) });
  });
});
