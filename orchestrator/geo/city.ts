// Fuzhou's geography, the city the orchestrator serves: the 12 county-level districts and named
// edge sites of the kinds the city plan names (smart-factory pilots, grid, finance, cloud gaming,
// government compute). The dashboard draws its map from it, the orchestrator knows its sites as
// places before any node stands there, and the simulated fleet stands its nodes on it. Coordinates are WGS-84; district centres are the district government seats, rounded
// to ~0.005° (≈500 m), and each site lies within a few km of its district's built-up area.

import type { KnownPlace } from './place.ts';

export type DistrictId =
  | 'gulou' | 'taijiang' | 'cangshan' | 'jinan' | 'mawei' | 'changle'
  | 'fuqing' | 'minhou' | 'lianjiang' | 'luoyuan' | 'minqing' | 'yongtai';

export interface District {
  id: DistrictId;
  name: string;
  lat: number;
  lon: number;
  /** Urban core districts have dense metro fibre; outer counties reach the core over longer routes. */
  urban: boolean;
}

export const DISTRICTS: readonly District[] = [
  { id: 'gulou', name: 'Gulou', lat: 26.082, lon: 119.296, urban: true },
  { id: 'taijiang', name: 'Taijiang', lat: 26.053, lon: 119.314, urban: true },
  { id: 'cangshan', name: 'Cangshan', lat: 26.035, lon: 119.305, urban: true },
  { id: 'jinan', name: "Jin'an", lat: 26.095, lon: 119.340, urban: true },
  { id: 'mawei', name: 'Mawei', lat: 25.990, lon: 119.455, urban: true },
  { id: 'changle', name: 'Changle', lat: 25.963, lon: 119.523, urban: false },
  { id: 'fuqing', name: 'Fuqing', lat: 25.720, lon: 119.384, urban: false },
  { id: 'minhou', name: 'Minhou', lat: 26.150, lon: 119.131, urban: false },
  { id: 'lianjiang', name: 'Lianjiang', lat: 26.197, lon: 119.539, urban: false },
  { id: 'luoyuan', name: 'Luoyuan', lat: 26.489, lon: 119.549, urban: false },
  { id: 'minqing', name: 'Minqing', lat: 26.220, lon: 118.864, urban: false },
  { id: 'yongtai', name: 'Yongtai', lat: 25.866, lon: 118.939, urban: false },
];

export type SiteKind = 'factory' | 'substation' | 'trading-venue' | 'gaming-pop' | 'data-centre';

export const SITE_KINDS: readonly SiteKind[] = ['factory', 'substation', 'trading-venue', 'gaming-pop', 'data-centre'];

/**
 * One-way access latency per site kind (ms): the last mile from the server to the metro core.
 * The simulated network adds it at both ends of every path; the orchestrator takes twice it as
 * its estimate of a node's RTT to its own site, which nothing probes.
 * - data-centre 0.05: in the core, on the carrier's own fabric.
 * - trading-venue 0.05: co-located, direct fibre (the venue pays for exactly this).
 * - gaming-pop 0.15: a metro PoP, one aggregation switch away.
 * - factory 0.5: industrial PON or a private 5G slice (5G URLLC user plane ≈0.5 ms one way).
 * - substation 0.8: the utility's SDH/OTN private network, then a gateway to the metro core.
 */
export const SITE_ACCESS_MS: Readonly<Record<SiteKind, number>> = {
  'data-centre': 0.05,
  'trading-venue': 0.05,
  'gaming-pop': 0.15,
  factory: 0.5,
  substation: 0.8,
};

/** A node's RTT to its own site, estimated (never measured): one round trip over the site's access. */
export function sameSiteRttMs(kind: SiteKind): number {
  return 2 * SITE_ACCESS_MS[kind];
}

/** The smart-factory pilot industries of the city plan. */
export type Industry = 'new-energy' | 'textile' | 'chemical' | 'electronics' | 'automotive-glass';

export interface Site {
  id: string;
  kind: SiteKind;
  district: DistrictId;
  lat: number;
  lon: number;
  /** Only factories have one. */
  industry?: Industry;
  /** Sites that answer RTT probes for every agent: the latency model's fixed anchors. */
  landmark: boolean;
}

function site(
  id: string, kind: SiteKind, district: DistrictId, lat: number, lon: number,
  extra: { industry?: Industry; landmark?: boolean } = {},
): Site {
  return {
    id, kind, district, lat, lon, landmark: extra.landmark ?? false,
    ...(extra.industry ? { industry: extra.industry } : {}),
  };
}

export const SITES: readonly Site[] = [
  // Factories: Fuzhou New Area (Mawei/Changle) hosts new energy and electronics; Fuqing the
  // automotive-glass and chemical works; Changle and Lianjiang the textile mills.
  site('fz-mawei-plant-1', 'factory', 'mawei', 26.004, 119.437, { industry: 'electronics' }),
  site('fz-mawei-plant-2', 'factory', 'mawei', 25.982, 119.468, { industry: 'new-energy' }),
  site('fz-mawei-plant-3', 'factory', 'mawei', 25.983, 119.474, { industry: 'new-energy' }),
  site('fz-changle-plant-1', 'factory', 'changle', 25.948, 119.541, { industry: 'textile' }),
  site('fz-changle-plant-2', 'factory', 'changle', 25.981, 119.566, { industry: 'textile' }),
  site('fz-changle-plant-3', 'factory', 'changle', 25.921, 119.498, { industry: 'electronics' }),
  site('fz-fuqing-plant-1', 'factory', 'fuqing', 25.707, 119.355, { industry: 'automotive-glass' }),
  site('fz-fuqing-plant-2', 'factory', 'fuqing', 25.674, 119.412, { industry: 'chemical' }),
  site('fz-fuqing-plant-3', 'factory', 'fuqing', 25.652, 119.524, { industry: 'chemical' }),
  site('fz-minhou-plant-1', 'factory', 'minhou', 26.118, 119.170, { industry: 'electronics' }),
  site('fz-lianjiang-plant-1', 'factory', 'lianjiang', 26.181, 119.558, { industry: 'textile' }),
  site('fz-luoyuan-plant-1', 'factory', 'luoyuan', 26.467, 119.582, { industry: 'new-energy' }),
  site('fz-cangshan-plant-1', 'factory', 'cangshan', 26.012, 119.268, { industry: 'electronics' }),
  site('fz-yongtai-plant-1', 'factory', 'yongtai', 25.872, 118.962, { industry: 'chemical' }),
  // Grid substations: one or more per district, the 220/500 kV nodes of the city ring.
  site('fz-gulou-substation-1', 'substation', 'gulou', 26.095, 119.281),
  site('fz-taijiang-substation-1', 'substation', 'taijiang', 26.046, 119.330),
  site('fz-cangshan-substation-1', 'substation', 'cangshan', 26.027, 119.330),
  site('fz-jinan-substation-1', 'substation', 'jinan', 26.118, 119.362),
  site('fz-mawei-substation-1', 'substation', 'mawei', 25.995, 119.420),
  site('fz-changle-substation-1', 'substation', 'changle', 25.970, 119.505),
  site('fz-fuqing-substation-1', 'substation', 'fuqing', 25.735, 119.370),
  site('fz-minhou-substation-1', 'substation', 'minhou', 26.162, 119.108),
  site('fz-lianjiang-substation-1', 'substation', 'lianjiang', 26.210, 119.520),
  site('fz-luoyuan-substation-1', 'substation', 'luoyuan', 26.500, 119.530),
  site('fz-minqing-substation-1', 'substation', 'minqing', 26.228, 118.880),
  site('fz-yongtai-substation-1', 'substation', 'yongtai', 25.860, 118.925),
  // Trading venues: the financial district in Gulou/Taijiang and the New Area's exchange.
  site('fz-gulou-exchange-1', 'trading-venue', 'gulou', 26.079, 119.303),
  site('fz-taijiang-exchange-1', 'trading-venue', 'taijiang', 26.058, 119.322),
  site('fz-changle-exchange-1', 'trading-venue', 'changle', 25.958, 119.530),
  // Cloud-gaming PoPs: where the players are (urban core) plus the New Area.
  site('fz-gulou-gaming-1', 'gaming-pop', 'gulou', 26.071, 119.290),
  site('fz-cangshan-gaming-1', 'gaming-pop', 'cangshan', 26.045, 119.290),
  site('fz-jinan-gaming-1', 'gaming-pop', 'jinan', 26.088, 119.352),
  site('fz-fuqing-gaming-1', 'gaming-pop', 'fuqing', 25.724, 119.390),
  // Government / public compute centres: the platform's anchors, so they double as landmarks.
  site('fz-gulou-dc-1', 'data-centre', 'gulou', 26.088, 119.310, { landmark: true }),
  site('fz-cangshan-dc-1', 'data-centre', 'cangshan', 26.020, 119.280, { landmark: true }),
  site('fz-changle-dc-1', 'data-centre', 'changle', 25.940, 119.520, { landmark: true }),
  site('fz-fuqing-dc-1', 'data-centre', 'fuqing', 25.700, 119.400, { landmark: true }),
  site('fz-minhou-dc-1', 'data-centre', 'minhou', 26.070, 119.200, { landmark: true }),
  site('fz-lianjiang-dc-1', 'data-centre', 'lianjiang', 26.190, 119.545),
];

const sitesById = new Map(SITES.map((s) => [s.id, s]));
const districtsById = new Map(DISTRICTS.map((d) => [d.id, d]));

export function siteById(id: string): Site | undefined {
  return sitesById.get(id);
}

export function districtById(id: string): District | undefined {
  return districtsById.get(id as DistrictId);
}

export function sitesIn(district: DistrictId): Site[] {
  return SITES.filter((s) => s.district === district);
}

export function sitesOfKind(kind: SiteKind): Site[] {
  return SITES.filter((s) => s.kind === kind);
}

export const LANDMARKS: readonly Site[] = SITES.filter((s) => s.landmark);

/** Great-circle distance (haversine) in km; one implementation shared with the latency model. */
export { haversineKm } from '../latency/geo.ts';

/** Every site as a place the orchestrator's latency model knows before any node stands there. */
export const KNOWN_PLACES: readonly KnownPlace[] = SITES.map((s) => ({
  kind: s.landmark ? 'landmark' : 'site',
  id: s.id,
  lat: s.lat,
  lon: s.lon,
  sameSiteRttMs: sameSiteRttMs(s.kind),
}));
