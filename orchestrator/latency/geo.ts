// Geography for the latency model: lat/lon targets are reached from the nearest known point.

export interface LatLon {
  lat: number;
  lon: number;
}

/** Light in fibre ≈200 km/ms one way. */
export const FIBRE_MS_PER_KM = 0.005;
/**
 * Fibre path length over great-circle distance, fitted (least absolute deviation) on the
 * WonderNetwork 2018 pairs under 3,000 km: 2.22 (the simulator's network model uses the same fit).
 */
export const GEO_ROUTE_FACTOR = 2.22;

/**
 * The least a node's RTT to the place it stands on is taken to be when the place says nothing
 * better: a switched LAN round trip, as a data-centre site's access (2 × 0.05 ms). Never 0, and
 * never "measured": no probe runs from a node to its own site.
 */
export const SAME_PLACE_RTT_FLOOR_MS = 0.1;

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine) in km. */
export function haversineKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Round-trip propagation over a route-adjusted fibre path between two places. */
export function geoRttMs(a: LatLon, b: LatLon): number {
  return 2 * FIBRE_MS_PER_KM * GEO_ROUTE_FACTOR * haversineKm(a, b);
}
