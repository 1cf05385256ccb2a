// A fleet scenario: how many nodes, where, and with which accelerators. Nodes are generated
// deterministically from the seed, spread over the districts and the sites the geography names.
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { DISTRICTS, SITES, type Site } from './geography.ts';
import { Rng, deriveSeed } from './rng.ts';

const PackSchema = Type.Object({
  /** Catalogue model as the vendor tool names it, e.g. "Ascend 910B" or "NVIDIA L20". */
  vendor: Type.String(),
  model: Type.String(),
  count: Type.Integer({ minimum: 1, maximum: 16 }),
  weight: Type.Number({ minimum: 0 }),
});

export const ScenarioSchema = Type.Object(
  {
    name: Type.String(),
    seed: Type.Integer(),
    nodes: Type.Integer({ minimum: 1, maximum: 200_000 }),
    telemetryIntervalMs: Type.Integer({ minimum: 100 }),
    /** Accelerator packs a node may carry, drawn by weight. */
    mix: Type.Array(PackSchema, { minItems: 1 }),
    /** Optional restriction to these site kinds. */
    siteKinds: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

export type Scenario = Static<typeof ScenarioSchema>;
export type AcceleratorPack = Static<typeof PackSchema>;

export interface SimNodeSpec {
  id: string;
  site: Site;
  pack: AcceleratorPack;
  cpuCores: number;
  memoryMib: number;
  seed: number;
}

export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`cannot read scenario ${path}: ${(e as Error).message}`);
  }
  return validateScenario(raw, path);
}

export function validateScenario(raw: unknown, where = 'scenario'): Scenario {
  const problems = [...Value.Errors(ScenarioSchema, raw)].map((e) => `${e.path || '(root)'}: ${e.message}`);
  if (problems.length) throw new Error(`${where} is invalid:\n  - ${problems.join('\n  - ')}`);
  return raw as Scenario;
}

/** The built-in demo: 24 nodes over Fuzhou's 12 districts, mostly domestic accelerators. */
export const DEMO_SCENARIO_PATH = new URL('./scenarios/fuzhou-demo.json', import.meta.url).pathname;

export function generateNodes(s: Scenario, count = s.nodes): SimNodeSpec[] {
  const sites = s.siteKinds ? SITES.filter((x) => s.siteKinds!.includes(x.kind)) : SITES;
  const byDistrict = DISTRICTS.map((d) => sites.filter((x) => x.district === d.id)).filter((xs) => xs.length > 0);
  const totalWeight = s.mix.reduce((a, p) => a + p.weight, 0);
  const nodes: SimNodeSpec[] = [];
  const perSite = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const rng = new Rng(deriveSeed(s.seed, 'node', i));
    // Round-robin over districts keeps every district populated at any fleet size.
    const site = rng.pick(byDistrict[i % byDistrict.length]!);
    const n = (perSite.get(site.id) ?? 0) + 1;
    perSite.set(site.id, n);
    let r = rng.next() * totalWeight;
    const pack = s.mix.find((p) => (r -= p.weight) < 0) ?? s.mix.at(-1)!;
    nodes.push({
      id: `${site.id}-n${n}`,
      site,
      pack,
      cpuCores: rng.pick([16, 32, 64, 96]),
      memoryMib: rng.pick([128, 256, 512]) * 1024,
      seed: deriveSeed(s.seed, 'node', i, 'life'),
    });
  }
  return nodes;
}
