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

export const SummariesBodySchema = Type.Object({ summaries: Type.Array(CitySummarySchema, { minItems: 1, maxItems: MAX_SUMMARIES_PER_POST }) }, { additionalProperties: false });
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
});
export type SummariesReply = Static<typeof SummariesReplySchema>;

export const FEDERATION_PREFIX = '/v1/federation/';
