import { describe, expect, it } from 'vitest';
import { formatFigure, renderReadme } from '../../bench/readme.ts';

const run = { atMs: 0, filter: null, wallS: 588.9, status: 'all 14 modules ok' };
const figures = [
  { name: 'ha.failover_ms', value: 1004.6, unit: 'ms', note: 'median | of 3' },
  { name: 'placement.p99_ms.100k', value: 1.98312, unit: 'ms', note: 'p99' },
];
const README = [
  '# x',
  'Failover: <!--fig:ha.failover_ms-->1,000<!--/fig--> ms; p99 <!--fig:placement.p99_ms.100k-->1.7<!--/fig--> ms.',
  'One run (<!--fig:run.wall_s-->0<!--/fig--> s, <!--fig:run.status-->?<!--/fig-->).',
  '',
  '| figure | value | unit | how it was measured |',
  '| --- | ---: | --- | --- |',
  '| `old.figure` | 1 | x | gone |',
  '',
  'After the table.',
].join('\n');

describe('bench:readme', () => {
  it('rewrites the table and every marked figure from one run, and leaves the rest', () => {
    const { text, unknown } = renderReadme(README, figures, run);
    expect(unknown).toEqual([]);
    expect(text).toContain('Failover: <!--fig:ha.failover_ms-->1,005<!--/fig--> ms; p99 <!--fig:placement.p99_ms.100k-->1.98<!--/fig--> ms.');
    expect(text).toContain('(<!--fig:run.wall_s-->589<!--/fig--> s, <!--fig:run.status-->all 14 modules ok<!--/fig-->)');
    expect(text).toContain('| `ha.failover_ms` | 1,005 | ms | median \\| of 3 |');
    expect(text).not.toContain('old.figure');
    expect(text.endsWith('\n\nAfter the table.')).toBe(true);
  });

  it('names a marked figure the run does not have, and changes nothing in it', () => {
    const { text, unknown } = renderReadme(README.replace('ha.failover_ms-->', 'ha.gone-->'), figures, run);
    expect(unknown).toEqual(['ha.gone']);
    expect(text).toContain('<!--fig:ha.gone-->1,000<!--/fig-->');
  });

  it('formats as the README writes numbers', () => {
    expect([formatFigure(12512.4), formatFigure(43.437), formatFigure(0.06152), formatFigure(8), formatFigure(1.2345)]).toEqual(['12,512', '43.44', '0.0615', '8', '1.23']);
  });
});
