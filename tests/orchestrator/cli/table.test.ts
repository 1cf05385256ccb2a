import { describe, expect, it } from 'vitest';
import { table } from '../../../orchestrator/cli/table.ts';

describe('tables for people', () => {
  it('print numbers without float noise, right-aligned where asked', () => {
    expect(table(['A', 'B'], [[12756.764000000006, 3]], { right: [0, 1] })).toBe('       A  B\n12756.76  3');
  });
});
