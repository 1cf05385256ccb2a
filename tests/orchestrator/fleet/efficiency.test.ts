import { describe, expect, it } from 'vitest';
import { nodeEfficiency } from '../../../orchestrator/fleet/efficiency.ts';
import { cardEfficiency } from '../../../orchestrator/efficiency.ts';
import type { BenchResult } from '../../../protocol/messages.ts';
import { accelerator, birth } from '../../helpers/envelopes.ts';

function result(target: string, tflops: number, tflopsPerWatt?: number): BenchResult {
  return {
    target, backend: 'sim', fp16: { tflops, basis: 'fp16', source: 'bench', kind: 'measured', weak: false }, rawTflops: tflops, precision: 'fp16',
    latencyP50Ms: 1, latencyP99Ms: 2, ratioToNominal: 1, shape: '', versions: {}, atMs: 0, durationMs: 1,
    ...(tflopsPerWatt !== undefined ? { avgPowerW: tflops / tflopsPerWatt, tflopsPerWatt } : {}),
  };
}

describe('fleet efficiency (FP16-eq TFLOPS per watt)', () => {
  it('per card: measured when the bench gave one, else nominal, else from TDP, else unknown', () => {
    const a = accelerator({ nominalTflopsPerWatt: 0.9, tdpW: 310 });
    expect(cardEfficiency(a, result('acc:0', 250, 1.2))).toMatchObject({ tflopsPerWatt: 1.2, basis: 'measured' });
    expect(cardEfficiency(a, result('acc:0', 250))).toMatchObject({ tflopsPerWatt: 0.9, basis: 'nominal' });
    expect(cardEfficiency(accelerator({ tdpW: 400 }), undefined)).toMatchObject({ tflopsPerWatt: 280 / 400, basis: 'nominal' });
    expect(cardEfficiency(accelerator(), undefined)).toMatchObject({ tflopsPerWatt: null, basis: 'unknown' });
  });

  it('per node: total TFLOPS over total watts of the cards with a figure, cards in error left out', () => {
    const b = birth({
      accelerators: [
        accelerator({ index: 0, nominalTflopsPerWatt: 1 }), // 280 TFLOPS at 280 W
        accelerator({ index: 1, nominal: { tflops: 100, basis: 'fp16', source: 'c', kind: 'nominal', weak: false }, nominalTflopsPerWatt: 0.5 }), // 100 at 200 W
        accelerator({ index: 2, health: 'error', nominalTflopsPerWatt: 9 }),
      ],
    });
    expect(nodeEfficiency(b, null)?.basis).toBe('nominal');
    expect(nodeEfficiency(b, null)?.tflopsPerWatt).toBeCloseTo(380 / 480, 4);
    // Both cards measured: the node's figure is measured.
    const measured = nodeEfficiency(b, { results: [result('acc:0', 300, 1.5), result('acc:1', 100, 1)] });
    expect(measured?.basis).toBe('measured');
    expect(measured?.tflopsPerWatt).toBeCloseTo(400 / 300, 4);
    expect(nodeEfficiency(birth({ accelerators: [] }), null)).toBeUndefined();
  });
});
