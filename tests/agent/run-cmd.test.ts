// The run command's spec JSON (the orchestrator's workload spec) mapped to exec's ExecSpec.
import { describe, expect, it } from 'vitest';
import { execSpecFromCommand } from '../../agent/run-cmd.ts';
import { accelerator } from '../helpers/envelopes.ts';

const accs = [accelerator({ index: 0, vendor: 'huawei' }), accelerator({ index: 1, vendor: 'huawei' }), accelerator({ index: 2, vendor: 'nvidia' })];
const spec = (run: Record<string, unknown>) => JSON.stringify({ name: 'w', tenant: 't', class: 'grid', run });

describe('execSpecFromCommand', () => {
  it('maps the orchestrator run section and takes the vendor from the assigned accelerators', () => {
    const r = execSpecFromCommand(spec({ runner: 'process', command: 'sleep', args: ['5'], env: { A: '1' }, restart: 'always' }), [1, 0], accs);
    expect(r).toMatchObject({ ok: true, value: { runner: 'process', command: 'sleep', args: ['5'], env: { A: '1' }, vendor: 'huawei', restart: { mode: 'always', maxAttempts: 0 } } });
  });

  it('defaults what the spec leaves out and needs no accelerators', () => {
    const r = execSpecFromCommand(spec({ runner: 'simulated', durationMs: 1000, exitCode: 3 }), [], accs);
    expect(r).toMatchObject({ ok: true, value: { runner: 'simulated', durationMs: 1000, exitCode: 3, vendor: '', restart: { mode: 'on-failure' } } });
  });

  it('says what is wrong', () => {
    const bad = (json: string, idx: number[] = []) => {
      const r = execSpecFromCommand(json, idx, accs);
      return r.ok ? 'ok' : r.error;
    };
    expect(bad('{')).toMatch(/specJson is not JSON/);
    expect(bad('{"name":"x"}')).toMatch(/"run" object/);
    expect(bad(spec({ runner: 'vm' }))).toMatch(/spec.runner must be one of/);
    expect(bad(spec({ runner: 'process', command: 'x', restart: 'sometimes' }))).toMatch(/restart.mode must be one of/);
    expect(bad(spec({ runner: 'process', command: 'x', args: 'a b' }))).toMatch(/args must be a list/);
    expect(bad(spec({ runner: 'process', command: 'x' }), [7])).toMatch(/accelerator 7 is not on this node/);
    expect(bad(spec({ runner: 'process', command: 'x' }), [0, 2])).toMatch(/mix vendors \(huawei, nvidia\)/);
  });
});
