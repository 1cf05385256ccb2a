// Decode-and-validate for JSON that scripts and site commands print: one checked value or a
// BenchError naming the first problems and the program that printed them.
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BenchError } from './types.ts';

export function decodeJson<S extends TSchema>(schema: S, value: unknown, label: string): Static<S> {
  if (Value.Check(schema, value)) return value;
  const problems = [...Value.Errors(schema, value)].slice(0, 3).map((e) => `${e.path || '/'}: ${e.message}`);
  throw new BenchError('bad_output', `${label} printed JSON that does not match its schema (${problems.join('; ')})`);
}
