// Benchmark results cached on disk, keyed by target, backend and the driver (or CPU model):
// a result stays valid until the driver changes or someone asks for a re-run.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { BenchResult } from '../../protocol/messages.ts';
import { driverKey, type BackendName, type BenchTarget } from './types.ts';

const Fp16FigureSchema = Type.Object({
  tflops: Type.Optional(Type.Number({ minimum: 0 })),
  basis: Type.Union(['fp16', 'bf16', 'int8/2', 'fp8/2', 'fp32x2', 'fp64x4', 'unknown'].map((b) => Type.Literal(b))),
  source: Type.String(),
  kind: Type.Union([Type.Literal('nominal'), Type.Literal('measured')]),
  weak: Type.Boolean(),
});
const BenchResultSchema = Type.Object({
  target: Type.String(),
  backend: Type.String(),
  fp16: Fp16FigureSchema,
  rawTflops: Type.Number(),
  precision: Type.String(),
  latencyP50Ms: Type.Number(),
  latencyP99Ms: Type.Number(),
  ratioToNominal: Type.Number(),
  shape: Type.String(),
  versions: Type.Record(Type.String(), Type.String()),
  atMs: Type.Number(),
  durationMs: Type.Number(),
});
const CacheFile = Type.Object({ version: Type.Literal(1), entries: Type.Record(Type.String(), BenchResultSchema) });

export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'banyan', 'bench-results.json');
}

export function cacheKey(target: BenchTarget, backend: BackendName, tag?: string): string {
  return `${target.id}|${backend}|${driverKey(target)}${tag ? `|${tag}` : ''}`;
}

export class BenchCache {
  private constructor(
    readonly path: string,
    private readonly entries: Map<string, BenchResult>,
    /** Why the file on disk was ignored, if it was. */
    readonly warning?: string,
  ) {}

  /** A missing file is an empty cache; an unreadable or malformed one too, with a warning. */
  static async open(path: string): Promise<BenchCache> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return new BenchCache(path, new Map(), code === 'ENOENT' ? undefined : `bench cache ${path} unreadable (${code}); results will be re-measured`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!Value.Check(CacheFile, json)) {
      return new BenchCache(path, new Map(), `bench cache ${path} is not a valid cache file; it will be rewritten`);
    }
    return new BenchCache(path, new Map(Object.entries(json.entries) as [string, BenchResult][]));
  }

  get(target: BenchTarget, backend: BackendName, tag?: string): BenchResult | undefined {
    return this.entries.get(cacheKey(target, backend, tag));
  }

  set(target: BenchTarget, backend: BackendName, result: BenchResult, tag?: string): void {
    this.entries.set(cacheKey(target, backend, tag), result);
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a cache. */
  async save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }, null, 2) + '\n');
    await rename(tmp, this.path);
  }
}
