// Request validation errors worded for people: one line per field, and for an enum the allowed
// values and the closest match ("'bogus' is not allowed; use one of online, offline, unknown"),
// instead of ajv's "must be equal to constant" once per allowed value.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { notAllowed } from '../suggest.ts';

export function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const byPath = new Map<string, FastifySchemaValidationError[]>();
  for (const e of errors) {
    const list = byPath.get(e.instancePath) ?? [];
    list.push(e);
    byPath.set(e.instancePath, list);
  }
  const lines: string[] = [];
  for (const [path, list] of byPath) {
    const where = `${dataVar}${path.replaceAll('/', '.')}`;
    const allowed = list.filter((e) => e.keyword === 'const').map((e) => String((e.params as { allowedValue?: unknown }).allowedValue));
    if (allowed.length > 0) {
      lines.push(`${where}: ${notAllowed((list[0] as { data?: unknown }).data, allowed)}`);
      continue;
    }
    lines.push(...[...new Set(list.map((e) => `${where} ${e.message ?? 'is not valid'}`))]);
  }
  const err = new Error(lines.join('; ')) as Error & { statusCode: number; code: string };
  err.statusCode = 400;
  err.code = 'bad_request';
  return err;
}
