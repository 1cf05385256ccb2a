// The federation wire contract between Banyan orchestrators (a city and its upstream, e.g. the
// province): what a city sends upward on a period, and what the upstream answers. Any platform
// can implement either side from these schemas (README: "Federation").
import { Type, type Static } from '@sinclair/typebox';

/** How often a city sends its summary upward unless configured otherwise. */
export const DEFAULT_SUMMARY_PERIOD_MS = 30_000;
/** Summaries per POST: a backlog after an outage goes up in batches of this many, oldest first. */
export const MAX_SUMMARIES_PER_POST = 32;
/** Undelivered summaries a city keeps (a day at the default period); older ones are dropped and counted. */
export const MAX_BACKLOG = 2880;
/** An upstream calls a member stale after this many periods without a summary. */
export const STALE_AFTER_PERIODS = 3;

const CityId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' });

/** FP16-eq totals by the protocol's rule (protocol/fp16.ts sumFp16), in PFLOPS. */
export const Fp16TotalsSchema = Type.Object({
  pflops: Type.Number({ minimum: 0 }),
  domesticPflops: Type.Number({ minimum: 0 }),
  domesticShare: Type.Number({ minimum: 0, maximum: 1 }),
  unknownCount: Type.Integer({ minimum: 0 }),
});

export const VendorFiguresSchema = Type.Object({
  vendor: Type.String({ minLength: 1 }),
  domestic: Type.Boolean(),
  accelerators: Type.Integer({ minimum: 0 }),
  nominalPflops: Type.Number({ minimum: 0 }),
  measuredPflops: Type.Number({ minimum: 0 }),
});

/** Free capacity of one accelerator class (vendor, domestic or not) in one district of the city. */
export const FreeCapacitySchema = Type.Object({
  district: Type.String(),
  vendor: Type.String({ minLength: 1 }),
  domestic: Type.Boolean(),
  freeAccelerators: Type.Integer({ minimum: 0 }),
  freeNominalPflops: Type.Number({ minimum: 0 }),
  /** The most free accelerators on one node: what one workload can get without spanning nodes. */
  largestFreeOnOneNode: Type.Integer({ minimum: 0 }),
});

/** RTT from one of the city's regions (districts) to one of the upstream's landmarks. */
export const RegionLatencySchema = Type.Object({
  region: Type.String(),
  landmark: Type.String({ minLength: 1 }),
  /** Best (least) estimate over the region's online nodes, and their median. */
  bestRttMs: Type.Number({ minimum: 0 }),
  medianRttMs: Type.Number({ minimum: 0 }),
  /** model: the city's latency model (Vivaldi + geographic leg); geo: fibre distance only. */
  basis: Type.Union([Type.Literal('model'), Type.Literal('geo')]),
  nodes: Type.Integer({ minimum: 1 }),
});

export const CitySummarySchema = Type.Object(
  {
    city: CityId,
    /** Grows by one per period, per city: the upstream keeps each seq once. */
    seq: Type.Integer({ minimum: 1 }),
    atMs: Type.Integer({ minimum: 0 }),
    nodes: Type.Object({ total: Type.Integer({ minimum: 0 }), online: Type.Integer({ minimum: 0 }), offline: Type.Integer({ minimum: 0 }), unknown: Type.Integer({ minimum: 0 }) }),
    accelerators: Type.Integer({ minimum: 0 }),
    nominal: Fp16TotalsSchema,
    measured: Fp16TotalsSchema,
    byVendor: Type.Array(VendorFiguresSchema, { maxItems: 64 }),
    free: Type.Array(FreeCapacitySchema, { maxItems: 2048 }),
    latency: Type.Array(RegionLatencySchema, { maxItems: 4096 }),
  },
  { additionalProperties: false },
);
export type CitySummary = Static<typeof CitySummarySchema>;

// Overflow: a workload a city cannot place (and whose spec allows it) runs in another member city.
// It rides on the summaries exchange, so a member needs no inbound route: each POST carries the
// member's whole current overflow state (what it asks, what it runs for others), and the reply
// carries the upstream's (what to run here, what to stop, how its own asks fare). Every message
// is a full state, not an event, so a lost POST or reply changes nothing but the delay.

const WorkloadId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' });
const LatLonSchema = Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false });

/** What the runner needs to place it: the origin's workload spec input, and where its latency points. */
export const OverflowWorkSchema = Type.Object(
  {
    /** The origin's workload id: the same id names the work everywhere in the federation. */
    id: WorkloadId,
    /** The origin's workload spec as submitted there (a Banyan workload spec input). */
    spec: Type.Record(Type.String(), Type.Unknown()),
    /** Where the origin's latency target stands; null for work without one. */
    near: Type.Union([LatLonSchema, Type.Null()]),
    /** The looser SLO the spec allows across cities; null: none (the nearest fitting node is still preferred). */
    maxRttMs: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
    /** What the work needs, for the upstream's choice of city (the runner checks the whole spec). */
    accelerators: Type.Integer({ minimum: 0, maximum: 64 }),
    vendors: Type.Array(Type.String({ minLength: 1 }), { maxItems: 32 }),
    domesticOnly: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type OverflowWork = Static<typeof OverflowWorkSchema>;

/** Usage of overflow work as the city that ran it has it in its ledger (closed allocations only). */
export const OverflowUsageSchema = Type.Object({
  acceleratorHours: Type.Number({ minimum: 0 }),
  pflopsHoursNominal: Type.Number({ minimum: 0 }),
  /** null when any card it ran on has no benchmark. */
  pflopsHoursMeasured: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  entries: Type.Integer({ minimum: 0 }),
});
export type OverflowUsage = Static<typeof OverflowUsageSchema>;

/** Usage of work that has closed no allocation yet (a fresh object: callers add to it). */
export function noOverflowUsage(): OverflowUsage {
  return { acceleratorHours: 0, pflopsHoursNominal: 0, pflopsHoursMeasured: 0, entries: 0 };
}

/** Where overflow work runs, its usage there, and when that was last true. */
const RunFacts = {
  site: Type.Union([Type.String(), Type.Null()]),
  district: Type.Union([Type.String(), Type.Null()]),
  rttMs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  usage: OverflowUsageSchema,
  atMs: Type.Integer({ minimum: 0 }),
};

export const RUN_STATES = ['placed', 'running', 'completed', 'failed', 'stopped', 'refused'] as const;
export const FINAL_RUN_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'stopped', 'refused']);

/** The runner's word on overflow work it was assigned. refused: it cannot place it (the upstream tries another city). */
export const OverflowReportSchema = Type.Object(
  {
    id: WorkloadId,
    origin: CityId,
    state: Type.Union(RUN_STATES.map((s) => Type.Literal(s))),
    reason: Type.String({ maxLength: 2000 }),
    ...RunFacts,
  },
  { additionalProperties: false },
);
export type OverflowReport = Static<typeof OverflowReportSchema>;

export const MemberOverflowSchema = Type.Object(
  {
    /** Every workload this city wants placed elsewhere, or that runs elsewhere now; one left out is cancelled there. */
    asks: Type.Array(OverflowWorkSchema, { maxItems: 1024 }),
    /** Ids this city stopped whose last usage it still waits for: cancelled there, and reported until final. */
    cancels: Type.Array(WorkloadId, { maxItems: 1024 }),
    /** What this city runs (or refused) for other cities, until the upstream stops assigning it. */
    reports: Type.Array(OverflowReportSchema, { maxItems: 1024 }),
  },
  { additionalProperties: false },
);
export type MemberOverflow = Static<typeof MemberOverflowSchema>;

export const OUTCOME_STATES = ['seeking', 'unplaced', 'assigned', ...RUN_STATES.filter((s) => s !== 'refused')] as const;

/** How one of a city's asks fares: where it went and why, or why no member city fits. */
export const OverflowOutcomeSchema = Type.Object(
  {
    id: WorkloadId,
    state: Type.Union(OUTCOME_STATES.map((s) => Type.Literal(s))),
    city: Type.Union([CityId, Type.Null()]),
    reason: Type.String({ maxLength: 4000 }),
    /** Cities that refused it (or evicted it), each skipped in the next choice. */
    tried: Type.Array(CityId),
    ...RunFacts,
  },
  { additionalProperties: false },
);
export type OverflowOutcome = Static<typeof OverflowOutcomeSchema>;

export const UpstreamOverflowSchema = Type.Object(
  {
    /** Work this city is to run for others (it keeps each id once). */
    assignments: Type.Array(Type.Object({ ...OverflowWorkSchema.properties, origin: CityId }, { additionalProperties: false }), { maxItems: 1024 }),
    /** Ids of work this city runs for others that their origin stopped. */
    cancels: Type.Array(Type.Object({ id: WorkloadId, origin: CityId }), { maxItems: 1024 }),
    /** One per id this city asked about (asks and cancels). */
    outcomes: Type.Array(OverflowOutcomeSchema, { maxItems: 2048 }),
  },
  { additionalProperties: false },
);
export type UpstreamOverflow = Static<typeof UpstreamOverflowSchema>;
export type OverflowAssignment = UpstreamOverflow['assignments'][number];

export const SummariesBodySchema = Type.Object(
  { summaries: Type.Array(CitySummarySchema, { minItems: 1, maxItems: MAX_SUMMARIES_PER_POST }), overflow: Type.Optional(MemberOverflowSchema) },
  { additionalProperties: false },
);
export type SummariesBody = Static<typeof SummariesBodySchema>;

export const LandmarkSchema = Type.Object({ id: Type.String({ minLength: 1 }), lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false });
export type Landmark = Static<typeof LandmarkSchema>;

export const SummariesReplySchema = Type.Object({
  accepted: Type.Integer({ minimum: 0 }),
  /** Seqs the upstream already had (a retry after a lost reply): harmless. */
  duplicates: Type.Integer({ minimum: 0 }),
  /** The upstream's landmarks: the city reports its latency to these from the next period on. */
  landmarks: Type.Array(LandmarkSchema),
  periodMs: Type.Integer({ minimum: 1 }),
  /** Present when the POST carried `overflow`. */
  overflow: Type.Optional(UpstreamOverflowSchema),
});
export type SummariesReply = Static<typeof SummariesReplySchema>;

export const FEDERATION_PREFIX = '/v1/federation/';
