// The agent settings added for bench, probe, outbox and detection: defaults, sources, and the
// errors that name the field.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_OUTBOX_MAX_BYTES, loadAgentConfig } from '../../agent/config.ts';
import { tempDir } from './harness.ts';

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('agent configuration', () => {
  it('has documented defaults', () => {
    const c = loadAgentConfig({ env: {} });
    expect(c).toMatchObject({ landmarks: [], probeIntervalMs: 30_000, probeCount: 5, benchBudgetMs: 10_000, outboxMaxBytes: DEFAULT_OUTBOX_MAX_BYTES, fp16Factors: {}, catalogOverridePath: '', toolTimeoutMs: 3000 });
    expect(DEFAULT_OUTBOX_MAX_BYTES).toBe(16 * 1024 * 1024);
  });

  it('reads landmarks and factors from the file, numbers from env and flags', () => {
    const t = tempDir('banyan-config-');
    try {
      const file = join(t.dir, 'agent.yaml');
      writeFileSync(file, 'landmarks:\n  - { name: gw, host: 10.0.0.1, port: 443 }\nfp16Factors: { int8: 0.25 }\n');
      const c = loadAgentConfig({ file, env: { BANYAN_BENCH_BUDGET_MS: '0', BANYAN_OUTBOX_MAX_BYTES: '1048576' }, flags: { probeIntervalMs: '5000', catalogOverridePath: '/etc/banyan/catalog.json' } });
      expect(c.landmarks).toEqual([{ name: 'gw', host: '10.0.0.1', port: 443 }]);
      expect(c.fp16Factors).toEqual({ int8: 0.25 });
      expect(c).toMatchObject({ benchBudgetMs: 0, outboxMaxBytes: 1_048_576, probeIntervalMs: 5000, catalogOverridePath: '/etc/banyan/catalog.json' });
    } finally {
      t.remove();
    }
  });

  it('names the field that is wrong', () => {
    expect(problems(() => loadAgentConfig({ env: {}, flags: { 'fp16Factors.int4': '0.25' } }))).toEqual(['fp16Factors: unknown precision "int4" (known: fp16, bf16, int8, fp8, fp32, fp64)']);
    expect(problems(() => loadAgentConfig({ env: {}, flags: { 'fp16Factors.int8': '-1' } }))).toEqual(['fp16Factors: factor for int8 must be a positive number']);
    expect(problems(() => loadAgentConfig({ env: {}, flags: { probeIntervalMs: '10' } })).join()).toMatch(/^probeIntervalMs: /);
    expect(problems(() => loadAgentConfig({ env: { BANYAN_BENCH_BUDGET_MS: '-5' } })).join()).toMatch(/^benchBudgetMs: /);
  });

  it('configures the peer-probe responder: on, every IPv4 interface, UDP 7947, advertised address picked unless set', () => {
    expect(loadAgentConfig({ env: {} })).toMatchObject({ probeResponder: true, probeBindHost: '0.0.0.0', probePort: 7947, probeAdvertise: '' });
    const c = loadAgentConfig({ env: { BANYAN_PROBE_PORT: '17947', BANYAN_PROBE_BIND_HOST: '10.20.0.7', BANYAN_PROBE_ADVERTISE: '203.0.113.9:27947' } });
    expect(c).toMatchObject({ probePort: 17947, probeBindHost: '10.20.0.7', probeAdvertise: '203.0.113.9:27947' });
    expect(loadAgentConfig({ env: {}, flags: { probeAdvertise: 'edge-7.example' } }).probeAdvertise).toBe('edge-7.example');
    expect(problems(() => loadAgentConfig({ env: { BANYAN_PROBE_ADVERTISE: 'http://x/' } })).join()).toMatch(/^probeAdvertise: /);
    expect(problems(() => loadAgentConfig({ env: { BANYAN_PROBE_PORT: '70000' } })).join()).toMatch(/^probePort: /);
  });
});
