import { readFileSync } from 'node:fs';

/** A real vendor tool output from tests/fixtures/vendors/ (see its README for sources). */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/vendors/${name}`, import.meta.url), 'utf8');
}
