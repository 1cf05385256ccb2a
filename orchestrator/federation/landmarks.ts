// The upstream's default landmarks: Fujian's nine prefecture-level cities (government seats,
// WGS-84, rounded to ~0.01°), for a provincial upstream; `--federation-landmarks FILE` replaces them.
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import { LandmarkSchema, type Landmark } from '../../protocol/federation.ts';

export const FUJIAN_LANDMARKS: readonly Landmark[] = [
  { id: 'fuzhou', lat: 26.07, lon: 119.3 },
  { id: 'xiamen', lat: 24.48, lon: 118.09 },
  { id: 'quanzhou', lat: 24.87, lon: 118.68 },
  { id: 'zhangzhou', lat: 24.51, lon: 117.65 },
  { id: 'putian', lat: 25.45, lon: 119.01 },
  { id: 'ningde', lat: 26.66, lon: 119.55 },
  { id: 'nanping', lat: 26.64, lon: 118.18 },
  { id: 'sanming', lat: 26.26, lon: 117.64 },
  { id: 'longyan', lat: 25.08, lon: 117.02 },
];

/** A JSON array of {id, lat, lon}. */
export function loadLandmarks(file: string): Landmark[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read landmarks ${file}: ${(e as Error).message}`);
  }
  const schema = Type.Array(LandmarkSchema, { minItems: 1, maxItems: 256 });
  const problems = [...Value.Errors(schema, raw)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length) throw new Error(`landmarks ${file} is invalid: ${problems.slice(0, 5).join('; ')}`);
  return raw as Landmark[];
}
