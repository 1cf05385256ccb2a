// The production tree's import graph, read with the TypeScript compiler's pre-processor: static
// imports (type-only ones included), `export … from`, and dynamic import() all count, because a
// type-only loop still ties modules together for a reader and for the next refactor.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Repo-relative path -> repo-relative paths it imports (relative specifiers only; packages are not edges). */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.(ts|mts|js|mjs)$/;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(p);
  }
}

/** The graph of the given folders and root files under `repo`. */
export function importGraph(repo: string, roots: readonly string[]): ImportGraph {
  const files: string[] = [];
  for (const r of roots) {
    const p = join(repo, r);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) walk(p, files);
    else files.push(p);
  }
  const graph: ImportGraph = new Map();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('./') || s.startsWith('../'))
      .map((s) => resolve(dirname(f), s))
      .filter((p) => existsSync(p) && statSync(p).isFile())
      .map((p) => relative(repo, p));
    graph.set(relative(repo, f), [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || graph.get(v)?.includes(v)) cycles.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The shortest import path around a cycle, for the failure message: a -> b -> … -> a. */
export function describeCycle(graph: ImportGraph, scc: readonly string[]): string {
  const members = new Set(scc);
  const start = scc[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = prev.get(at)) path.splice(1, 0, at);
        return [...path, start].join(' -> ');
      }
      if (prev.has(w) || w === start) continue;
      prev.set(w, v);
      queue.push(w);
    }
  }
  return scc.join(', ');
}
