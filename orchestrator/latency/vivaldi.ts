// Vivaldi network coordinates as Serf/Consul fit them (Dabek et al. 2004; serf/coordinate):
// a 2-D Euclidean part plus a height (the access link every path pays), an error estimate per
// node that sets an adaptive timestep, and a height floor.

export interface VivaldiConfig {
  /** Error-estimate gain (Serf VivaldiCE). */
  ce: number;
  /** Timestep gain (Serf VivaldiCC). */
  cc: number;
  /** Error ceiling, also a new node's error: it knows nothing yet (Serf VivaldiErrorMax). */
  errorMax: number;
  /** Height floor in ms (Serf HeightMin is 10 µs). */
  heightMinMs: number;
}

export const DEFAULT_VIVALDI: VivaldiConfig = { ce: 0.25, cc: 0.25, errorMax: 1.5, heightMinMs: 0.01 };

const ZERO_MS = 1e-6;

export interface Coordinate {
  x: number;
  y: number;
  height: number;
  /** Relative error estimate: ~|predicted − measured| / measured over recent samples. */
  error: number;
}

export function originCoordinate(cfg: VivaldiConfig = DEFAULT_VIVALDI): Coordinate {
  return { x: 0, y: 0, height: cfg.heightMinMs, error: cfg.errorMax };
}

/** Predicted RTT between two coordinates, in ms. */
export function coordinateDistance(a: Coordinate, b: Coordinate): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  // Not Math.hypot: placement takes thousands of these in a row, and hypot is several times slower.
  return Math.sqrt(dx * dx + dy * dy) + a.height + b.height;
}

/**
 * Moves `self` after one RTT sample to `other` (Serf client.updateVivaldi + ApplyForce).
 * `tieBreak` picks the push direction when the two sit on the same spot; pass something stable
 * per pair so fits are reproducible.
 */
export function vivaldiUpdate(self: Coordinate, other: Coordinate, rttMs: number, tieBreak: number, cfg: VivaldiConfig = DEFAULT_VIVALDI): void {
  const rtt = Math.max(rttMs, ZERO_MS);
  const dist = coordinateDistance(self, other);
  const wrongness = Math.abs(dist - rtt) / rtt;
  const totalError = Math.max(self.error + other.error, ZERO_MS);
  const weight = self.error / totalError;
  self.error = Math.min(cfg.ce * weight * wrongness + self.error * (1 - cfg.ce * weight), cfg.errorMax);

  const force = cfg.cc * weight * (rtt - dist);
  let dx = self.x - other.x;
  let dy = self.y - other.y;
  let mag = Math.hypot(dx, dy);
  if (mag < ZERO_MS) {
    const angle = tieBreak * 2 * Math.PI;
    dx = Math.cos(angle);
    dy = Math.sin(angle);
    mag = 0;
  } else {
    dx /= mag;
    dy /= mag;
  }
  self.x += dx * force;
  self.y += dy * force;
  if (mag > ZERO_MS) {
    // Share the force between the plane and the height, in proportion (Serf ApplyForce).
    self.height = Math.max(((self.height + other.height) * force) / mag + self.height, cfg.heightMinMs);
  }
}
