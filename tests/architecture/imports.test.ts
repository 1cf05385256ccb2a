// The layering the README's Architecture section states, checked on every import of the production tree (type-only and
// dynamic ones too): protocol/ is the shared leaf; the agent and the orchestrator never import each
// other, the simulators, or the root CLI files (the orchestrator's image holds none of them); and
// nothing imports in a circle.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCycle, importCycles, importGraph, type ImportGraph } from './import-graph.ts';

const REPO = join(import.meta.dirname, '../..');
const PRODUCTION = ['protocol', 'agent', 'orchestrator', 'simulators', 'bin', 'main.ts', 'cli.ts'];

/**
 * Cycles that another branch removes (orchestrator/placement/ is being rebuilt): each entry must
 * still be a real cycle, so the list shrinks as they go. Delete an entry once its cycle is gone.
 */
const KNOWN_CYCLES: readonly string[][] = [];

const graph = importGraph(REPO, PRODUCTION);

/** What each top-level part may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  agent: ['protocol'],
  orchestrator: ['protocol'],
  simulators: ['protocol', 'agent', 'orchestrator'],
};

function partOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}

function forbiddenImports(g: ImportGraph): string[] {
  const out: string[] = [];
  for (const [file, deps] of g) {
    const part = partOf(file);
    const allowed = MAY_IMPORT[part];
    if (!allowed) continue;
    for (const d of deps) {
      const target = partOf(d);
      if (target !== part && !allowed.includes(target)) out.push(`${file} imports ${d}`);
    }
  }
  return out.sort();
}

describe('import layering', () => {
  it('reads the whole production tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('orchestrator/orchestrator.ts')).toContain('orchestrator/registry.ts');
    // type-only imports are edges too
    expect(graph.get('orchestrator/loss-cause.ts')).toContain('orchestrator/core.ts');
  });

  it('protocol/ imports nothing of ours; agent/ and orchestrator/ only protocol/ (never simulators/ or root files)', () => {
    expect(forbiddenImports(graph)).toEqual([]);
  });

  it('the rule catches an orchestrator file importing the simulators', () => {
    const g: ImportGraph = new Map([
      ['orchestrator/dashboard/plugin.ts', ['simulators/fleet/geography.ts']],
      ['protocol/codec.ts', ['orchestrator/registry.ts']],
      ['agent/cli/main.ts', ['cli-dispatch.ts']],
    ]);
    expect(forbiddenImports(g)).toEqual([
      'agent/cli/main.ts imports cli-dispatch.ts',
      'orchestrator/dashboard/plugin.ts imports simulators/fleet/geography.ts',
      'protocol/codec.ts imports orchestrator/registry.ts',
    ]);
  });
});

describe('import cycles', () => {
  const key = (scc: readonly string[]) => [...scc].sort().join(' ');
  const known = new Set(KNOWN_CYCLES.map(key));

  it('there are none in the production tree (npx madge --circular, as a test)', () => {
    const cycles = importCycles(graph).filter((c) => !known.has(key(c)));
    expect(cycles.map((c) => describeCycle(graph, c))).toEqual([]);
  });

  it('every known exception is still a cycle (delete the entry when it is gone)', () => {
    const now = new Set(importCycles(graph).map(key));
    expect(KNOWN_CYCLES.map(key).filter((k) => !now.has(k))).toEqual([]);
  });

  it('finds a type-only loop through several files and names the path', () => {
    const g: ImportGraph = new Map([
      ['registry.ts', ['loss-cause.ts']],
      ['loss-cause.ts', ['orchestrator.ts', 'peers.ts']],
      ['orchestrator.ts', ['registry.ts', 'peers.ts']],
      ['peers.ts', []],
      ['self.ts', ['self.ts']],
    ]);
    const cycles = importCycles(g);
    expect(cycles).toEqual([['loss-cause.ts', 'orchestrator.ts', 'registry.ts'], ['self.ts']]);
    expect(describeCycle(g, cycles[0]!)).toBe('loss-cause.ts -> orchestrator.ts -> registry.ts -> loss-cause.ts');
  });
});
