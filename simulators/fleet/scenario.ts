// A fleet scenario: how many nodes, where, and with which accelerators. Nodes are generated
// deterministically from the seed, spread over the districts and the sites the geography names.
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { FaultSchema } from '../chaos/faults.ts';
import { DISTRICTS, SITES, SITE_KINDS, type Site, type SiteKind } from '../../orchestrator/geo/city.ts';
import { Rng, deriveSeed } from './rng.ts';

const PackSchema = Type.Object({
  /** Catalogue model as the vendor tool names it, e.g. "Ascend 910B" or "NVIDIA L20". */
  vendor: Type.String(),
  model: Type.String(),
  count: Type.Integer({ minimum: 1, maximum: 16 }),
  weight: Type.Number({ minimum: 0 }),
});

/**
 * Per site kind: how many nodes a site of that kind holds relative to others, its own accelerator
 * mix, and how often its nodes fail (per node-day, with the mean time until the node is back).
 */
const SiteProfileSchema = Type.Object(
  {
    nodesWeight: Type.Optional(Type.Number({ minimum: 0 })),
    mix: Type.Optional(Type.Array(PackSchema, { minItems: 1 })),
    failures: Type.Optional(
      Type.Object(
        {
          crashPerNodeDay: Type.Number({ minimum: 0 }),
          hangPerNodeDay: Type.Optional(Type.Number({ minimum: 0 })),
          meanDowntimeMs: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Workloads a rehearsal submits: `count` of a class, each with an SLO to a site of the given kind. */
const WorkloadMixSchema = Type.Object(
  {
    class: Type.Union(['industrial-control', 'grid-protection', 'trading', 'cloud-gaming', 'batch'].map((c) => Type.Literal(c))),
    count: Type.Integer({ minimum: 1 }),
    toSiteKind: Type.Optional(Type.Union(SITE_KINDS.map((k) => Type.Literal(k)))),
    accelerators: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
    domesticOnly: Type.Optional(Type.Boolean()),
    disconnect: Type.Optional(Type.Object({ policy: Type.Union([Type.Literal('keep'), Type.Literal('replace')]), graceMs: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

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
    /** Per site kind: node share, accelerator mix, failure rates. Absent: nodes round-robin over districts. */
    siteProfiles: Type.Optional(Type.Object(Object.fromEntries(SITE_KINDS.map((k) => [k, Type.Optional(SiteProfileSchema)])), { additionalProperties: false })),
    /** Faults on a timeline (ms after the fleet is up); see simulators/chaos/faults.ts. */
    faults: Type.Optional(Type.Array(FaultSchema)),
    /** Random failures from siteProfiles' rates: simulated seconds per wall-clock second (default 1). */
    failureTimeScale: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    workloads: Type.Optional(Type.Array(WorkloadMixSchema)),
    /** How long a rehearsal runs after the fleet is up, unless --duration says otherwise. */
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

export type Scenario = Omit<Static<typeof ScenarioSchema>, 'siteProfiles'> & { siteProfiles?: Partial<Record<SiteKind, SiteProfile>> };
export type AcceleratorPack = Static<typeof PackSchema>;
export type SiteProfile = Static<typeof SiteProfileSchema>;
export type WorkloadMix = Static<typeof WorkloadMixSchema>;

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
  if (s.siteProfiles) return generateBySiteProfile(s, s.siteProfiles, count);
  const sites = s.siteKinds ? SITES.filter((x) => s.siteKinds!.includes(x.kind)) : SITES;
  const byDistrict = DISTRICTS.map((d) => sites.filter((x) => x.district === d.id)).filter((xs) => xs.length > 0);
  const nodes: SimNodeSpec[] = [];
  const perSite = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const rng = new Rng(deriveSeed(s.seed, 'node', i));
    // Round-robin over districts keeps every district populated at any fleet size.
    const site = rng.pick(byDistrict[i % byDistrict.length]!);
    const n = (perSite.get(site.id) ?? 0) + 1;
    perSite.set(site.id, n);
    nodes.push(drawNode(rng, site, n, s.mix, deriveSeed(s.seed, 'node', i, 'life')));
  }
  return nodes;
}

/**
 * Nodes spread over the sites in proportion to their kind's nodesWeight (largest remainder, so
 * every weighted site gets its share at any fleet size), each drawing its pack from its kind's mix.
 */
function generateBySiteProfile(s: Scenario, profiles: Partial<Record<SiteKind, SiteProfile>>, count: number): SimNodeSpec[] {
  const sites = SITES.filter((x) => (profiles[x.kind]?.nodesWeight ?? 1) > 0 && (!s.siteKinds || s.siteKinds.includes(x.kind)));
  if (sites.length === 0) throw new Error(`scenario ${s.name}: siteProfiles give no site a node; raise some nodesWeight above 0`);
  const weights = sites.map((x) => profiles[x.kind]?.nodesWeight ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * count);
  const share = exact.map(Math.floor);
  const byRemainder = exact.map((e, i) => [e - share[i]!, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const short = count - share.reduce((a, b) => a + b, 0);
  for (let k = 0; k < short; k++) share[byRemainder[k % byRemainder.length]![1]]!++;
  const nodes: SimNodeSpec[] = [];
  sites.forEach((site, si) => {
    const mix = profiles[site.kind]?.mix ?? s.mix;
    for (let n = 1; n <= share[si]!; n++) {
      const rng = new Rng(deriveSeed(s.seed, 'node', site.id, n));
      nodes.push(drawNode(rng, site, n, mix, deriveSeed(s.seed, 'node', site.id, n, 'life')));
    }
  });
  return nodes;
}

/** The n-th node of a site: its pack drawn by weight from the mix, then its host size. */
function drawNode(rng: Rng, site: Site, n: number, mix: readonly AcceleratorPack[], seed: number): SimNodeSpec {
  const totalWeight = mix.reduce((a, p) => a + p.weight, 0);
  let r = rng.next() * totalWeight;
  const pack = mix.find((p) => (r -= p.weight) < 0) ?? mix.at(-1)!;
  return {
    id: `${site.id}-n${n}`,
    site,
    pack,
    cpuCores: rng.pick([16, 32, 64, 96]),
    memoryMib: rng.pick([128, 256, 512]) * 1024,
    seed,
  };
}
