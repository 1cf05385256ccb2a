// Issue 20 (9): sums printed to people carried float noise (3.7690189999999997 PFLOPS,
// 0.9035901573215006 domestic share). The fleet summary the API, the dashboard and the CLI read
// rounds at the source: PFLOPS to 0.001 TFLOPS, the share to 0.01 %, and stays true to the sums.
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../../orchestrator/api/server.ts';
import type { FleetSummary } from '../../../orchestrator/views.ts';
import { birthOf, benchOf, cards, handFed } from '../../helpers/hand-fed.ts';

/** A number written with more decimals than a person should ever be shown. */
const NOISE = /\d\.\d{7,}/g;

describe('numbers people read from the API', () => {
  it('fleet summary sums carry no float noise and stay within rounding of the exact sums', async () => {
    const fed = handFed();
    // Catalogue figures whose float sum is noisy (0.1 + 0.2 style), domestic and not.
    const figures = [280.1, 312.7, 0.2, 989.5, 91.1, 197.3];
    figures.forEach((tflops, i) => {
      const domestic = i % 3 !== 0;
      const [c] = cards(1, { vendor: domestic ? 'huawei' : 'nvidia', domestic, nominal: { tflops, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } });
      fed.send(`edge-${i}`, birthOf([c!]));
      fed.send(`edge-${i}`, { body: 'bench', bench: { results: [benchOf(0, Math.round(tflops * 71) / 100)] } });
    });
    const exactTotal = figures.reduce((s, v) => s + v, 0) / 1000;
    const exactDomestic = figures.filter((_, i) => i % 3 !== 0).reduce((s, v) => s + v, 0) / 1000;
    // The raw float sums are noisy: the test would pass vacuously otherwise.
    expect(`${exactTotal} ${exactDomestic / exactTotal}`.match(NOISE)).not.toBeNull();

    const app = buildApi({ registry: fed.registry, health: () => ({ ok: true, mqtt: true, nodes: fed.registry.size }) });
    const r = await app.inject({ method: 'GET', url: '/v1/fleet/summary' });
    expect(r.statusCode).toBe(200);
    expect(r.body.match(NOISE)).toBeNull();
    const s = r.json<FleetSummary>();
    expect(s.nominal.pflops).toBeCloseTo(exactTotal, 6);
    expect(s.nominal.domesticPflops).toBeCloseTo(exactDomestic, 6);
    expect(s.nominal.domesticShare).toBeCloseTo(exactDomestic / exactTotal, 4);
    expect(s.measured.pflops).toBeGreaterThan(0);
    const nodes = await app.inject({ method: 'GET', url: '/v1/nodes' });
    expect(nodes.body.match(NOISE)).toBeNull();
    await app.close();
  });
});
